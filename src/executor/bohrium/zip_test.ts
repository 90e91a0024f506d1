import assert from "node:assert/strict";
import { zipSync } from "npm:fflate@^0.8.2";
import { unzipFile, zipFiles } from "./zip.ts";

Deno.test("files, directories and globs pack and unpack byte for byte, large ones streamed", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/src/t0/sub`, { recursive: true });
  const big = new Uint8Array(5 * 1024 * 1024 + 7).map((_, i) => (i * 31) % 251);
  await Deno.writeFile(`${dir}/src/t0/big.bin`, big);
  await Deno.writeTextFile(`${dir}/src/t0/sub/a.txt`, "a");
  await Deno.writeTextFile(`${dir}/src/c.dat`, "common");
  const packed = await zipFiles(`${dir}/src`, ["t0", "*.dat", "nothing*"], `${dir}/x.zip`, [
    { name: ".dpdispatcher/r/j.sh", content: "echo hi\n" },
  ]);
  assert.deepEqual(packed, { files: 4, bytes: big.length + 1 + 6 + 8, missing: ["nothing*"] });
  const names = await unzipFile(`${dir}/x.zip`, `${dir}/out`);
  assert.deepEqual(names.sort(), [".dpdispatcher/r/j.sh", "c.dat", "t0/big.bin", "t0/sub/a.txt"]);
  assert.deepEqual(await Deno.readFile(`${dir}/out/t0/big.bin`), big);
  assert.equal(await Deno.readTextFile(`${dir}/out/.dpdispatcher/r/j.sh`), "echo hi\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an archive from another zipper (deflated, sizes in headers) unpacks", async () => {
  const dir = await Deno.makeTempDir();
  const data = zipSync({
    "t1/out.txt": new TextEncoder().encode("result\n".repeat(1000)),
    "t1/": {},
  });
  await Deno.writeFile(`${dir}/r.zip`, data);
  await unzipFile(`${dir}/r.zip`, `${dir}/o`);
  assert.equal(await Deno.readTextFile(`${dir}/o/t1/out.txt`), "result\n".repeat(1000));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an entry that would land outside the target is refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/evil.zip`, zipSync({ "../escape.txt": new Uint8Array([1]) }));
  await assert.rejects(
    unzipFile(`${dir}/evil.zip`, `${dir}/o`),
    /entry "\.\.\/escape\.txt" would unpack outside/,
  );
  assert.equal(await Deno.stat(`${dir}/escape.txt`).then(() => true, () => false), false);
  await Deno.remove(dir, { recursive: true });
});
