import assert from "node:assert/strict";
import { objectUrl, PART_SIZE, signV1, uploadFile } from "./oss.ts";

Deno.test("the V1 signature of Aliyun's documented example", () => {
  // help.aliyun.com "Include signatures in the Authorization header" (V1), its worked example.
  const sig = signV1({
    method: "PUT",
    contentMd5: "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
    contentType: "text/html",
    date: "Thu, 17 Nov 2005 18:49:58 GMT",
    ossHeaders: { "X-OSS-Meta-Author": "foo@bar.com", "X-OSS-Magic": "abracadabra" },
    resource: "/oss-example/nelson",
  }, "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV");
  assert.equal(sig, "26NBxoKdsyly4EDv6inkoDft/yA=");
});

Deno.test("an IP endpoint takes path-style URLs, a domain the bucket's host", () => {
  assert.equal(
    objectUrl({ endpoint: "http://localhost:1", bucket: "b" }, "a b/c").href,
    "http://localhost:1/b/a%20b/c",
  );
  assert.equal(
    objectUrl({ endpoint: "oss.example.com", bucket: "b" }, "k").href,
    "http://b.oss.example.com/k",
  );
});

Deno.test("a multipart upload sends signed parts of 1,024,000 bytes and completes them in order", async () => {
  const creds = {
    accessKeyId: "STS.id",
    accessKeySecret: "sts-secret",
    securityToken: "sts-token",
  };
  const parts = new Map<number, Uint8Array>();
  let completed = "";
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const q = url.search.slice(1);
    const resource = `${decodeURIComponent(url.pathname)}${
      q === "uploads"
        ? "?uploads"
        : url.searchParams.has("partNumber")
        ? `?partNumber=${url.searchParams.get("partNumber")}&uploadId=${
          url.searchParams.get("uploadId")
        }`
        : `?uploadId=${url.searchParams.get("uploadId")}`
    }`;
    const want = signV1({
      method: req.method,
      contentType: req.headers.get("content-type") ?? "",
      date: req.headers.get("date") ?? "",
      ossHeaders: { "x-oss-security-token": req.headers.get("x-oss-security-token") ?? "" },
      resource,
    }, "sts-secret");
    if (req.headers.get("authorization") !== `OSS STS.id:${want}`) {
      return new Response("bad sig", { status: 403 });
    }
    if (req.headers.get("x-oss-security-token") !== "sts-token") {
      return new Response("no token", { status: 403 });
    }
    if (q === "uploads") {
      return new Response(
        "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>",
      );
    }
    if (req.method === "PUT") {
      const n = Number(url.searchParams.get("partNumber"));
      parts.set(n, new Uint8Array(await req.arrayBuffer()));
      return new Response(null, { headers: { ETag: `"e${n}"` } });
    }
    completed = await req.text();
    return new Response("<CompleteMultipartUploadResult/>");
  });
  const dir = await Deno.makeTempDir();
  const data = new Uint8Array(PART_SIZE * 2 + 5).map((_, i) => i % 256);
  await Deno.writeFile(`${dir}/j.zip`, data);
  const endpoint = `http://127.0.0.1:${server.addr.port}`;
  const sent = await uploadFile(
    `${dir}/j.zip`,
    "program/1/r/j.zip",
    { endpoint, bucket: "bk" },
    creds,
  );
  assert.equal(sent, 3);
  assert.deepEqual([...parts.keys()], [1, 2, 3]);
  assert.deepEqual([...parts.values()].map((p) => p.length), [PART_SIZE, PART_SIZE, 5]);
  assert.deepEqual(new Uint8Array([...parts.values()].flatMap((p) => [...p])), data);
  assert.match(
    completed,
    /<Part><PartNumber>1<\/PartNumber><ETag>"e1"<\/ETag><\/Part>.*<PartNumber>3<\/PartNumber>/,
  );
  await server.shutdown();
  await Deno.remove(dir, { recursive: true });
});
