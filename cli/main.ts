#!/usr/bin/env node
// flowgrad command line: gradcheck, bench, demo.
import * as fg from '../index.js';

const [cmd = 'help'] = process.argv.slice(2);
console.log(`flowgrad ${cmd}: ${fg.registeredOps().length} ops registered`);
