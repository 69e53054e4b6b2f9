#!/usr/bin/env node
// The `modelgate` command: the TypeScript sources run through tsx's loader, with the
// package's own tsconfig (decorators) whatever directory it is started from.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/main.ts');
