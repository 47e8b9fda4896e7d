// Kept in step with package.json by a test (src/version.test.ts); the core cannot read package.json
// at run time in a browser.
export const VERSION = '0.1.0';
