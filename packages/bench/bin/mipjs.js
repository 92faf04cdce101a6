#!/usr/bin/env node
// The installed `mipjs` command. A separate file (not dist/cli.js itself) so that it works when a
// package manager links it under another name, and so the bin exists before the first build.
import { runCli } from '../dist/cli.js';

runCli();
