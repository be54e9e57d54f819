#!/usr/bin/env node
// The `verdict` command: the compiled CLI (npm install builds it; see src/cli/verdict).
require('../dist/src/cli/verdict/verdict.js');
