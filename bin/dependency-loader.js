'use strict';
/**
 * The `.js` loader bin/register.js installs (here without side effects, so tests can load it):
 * dependencies' files through Node's own loader, the project's through tsx's.
 */
const path = require('node:path');

const DEPENDENCY = `${path.sep}node_modules${path.sep}`;

/**
 * A `.js` loader: a dependency's file through `nodeLoader`, unless Node refuses it as an ES
 * module it cannot require (ERR_REQUIRE_ESM, thrown before any of that file runs: Node before
 * 20.19 for every ES module), which then goes to `tsxLoader`, as the project's files do.
 */
function dependencyAwareLoader(nodeLoader, tsxLoader) {
  return function loadJs(module, filename) {
    if (!filename.includes(DEPENDENCY)) return tsxLoader.call(this, module, filename);
    try {
      return nodeLoader.call(this, module, filename);
    } catch (err) {
      // Only this file's refusal: one raised by a require inside it (after it began to run) is not retried.
      if (err && err.code === 'ERR_REQUIRE_ESM' && String(err.message).includes(filename)) return tsxLoader.call(this, module, filename);
      throw err;
    }
  };
}

module.exports = { dependencyAwareLoader };
