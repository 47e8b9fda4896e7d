import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/temp-dir.js';

// A setup file runs with each test file, so this hook runs after each file's tests.
afterAll(removeTempDirs);
