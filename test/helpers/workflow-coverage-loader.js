'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a webpack loader (CommonJS), loaded by require */
/* global require, module */
/**
 * The webpack loader of the coverage test bundle (test/helpers/workflow-coverage.ts): it transforms and instruments a
 * module of src/ exactly as Jest does for a test file (Jest's ScriptTransformer: ts-jest, then babel-plugin-istanbul),
 * so the counts the workflow sandbox reports add up with Jest's own for the same file. It also writes each file's
 * initial coverage (its maps, counts at zero) into `templatesDir`, for the files no test loads in Node.
 */
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { createScriptTransformer } = require('@jest/transform');
const { readInitialCoverage } = require('istanbul-lib-instrument');

/** One ScriptTransformer per Jest project config (its creation loads ts-jest). */
const transformers = new Map();

/** The options Jest's runtime transforms a CommonJS test module with, coverage on. */
const TRANSFORM_OPTIONS = {
  instrument: true,
  supportsDynamicImport: false,
  supportsExportNamespaceFrom: false,
  supportsStaticESM: false,
  supportsTopLevelAwait: false,
};

module.exports = function workflowCoverageLoader(source) {
  const callback = this.async();
  const { projectConfig, templatesDir } = this.getOptions();
  if (!transformers.has(projectConfig.id)) transformers.set(projectConfig.id, createScriptTransformer(projectConfig));
  transformers.get(projectConfig.id).then(
    (transformer) => {
      const file = this.resourcePath;
      const { code, sourceMapPath } = transformer.transformSource(file, source, TRANSFORM_OPTIONS);
      const initial = readInitialCoverage(code);
      if (initial) {
        const name = `${createHash('sha1').update(file).digest('hex')}.json`;
        writeFileSync(path.join(templatesDir, name), JSON.stringify({ ...initial.coverageData, hash: initial.hash }));
      }
      const map =
        sourceMapPath && existsSync(sourceMapPath) ? JSON.parse(readFileSync(sourceMapPath, 'utf8')) : undefined;
      callback(null, code, map);
    },
    (err) => callback(err),
  );
};
