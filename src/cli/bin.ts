#!/usr/bin/env node
/**
 * The `dpdisp` executable of the npm package: runs the CLI under Node and exits with its code.
 *
 * @module
 */
import process from "node:process";
import { main } from "./main.ts";

process.exit(await main(process.argv.slice(2)));
