#!/usr/bin/env node
// The tool is built into dist/ (npm run build; in this repository `npm ci` builds it).
import '../dist/cli.js'
