#!/usr/bin/env node
// The segkit command (run.ts), started again with huge pages for large arrays where that helps (hugePages.node.ts).
import { followLauncher, relaunchWithHugePages } from './hugePages.node.js';

if (!(await relaunchWithHugePages())) {
  followLauncher();
  await import('./run.js');
}
