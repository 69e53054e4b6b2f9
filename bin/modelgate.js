#!/usr/bin/env node
// The `modelgate` command: the compiled CLI (npm run build, run by npm ci and npm pack), in this process, so signals reach the server.
await import('../dist/src/cli/main.js');
