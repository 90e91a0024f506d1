/** The package version (kept equal to deno.json's by src/version_test.ts). */
export const VERSION = "0.1.0";
