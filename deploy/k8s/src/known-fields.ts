import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './manifests';

const EXCESS_PROPERTY = new Set([2353, 2561]); // "may only specify known properties" (and "Did you mean")

/**
 * Fields the Kubernetes API does not know (a misspelt `terminationGracePeriodSecond` would silently mean the
 * default): TypeScript's excess-property check of each object against kubernetes-models' interface for its kind.
 * The API's schemas themselves accept unknown fields, as the API server does unless asked for strict
 * validation (kubectl --validate=strict), which needs a server. One program for every set; the problems of
 * each set, in order.
 */
export function unknownFieldProblems(sets: readonly (readonly K8sObject[])[], dir: string = join(__dirname, '..')) {
  const objects = sets.flatMap((set, index) => set.map((object) => ({ set: index, object })));
  // One line per object, so that a diagnostic's line names its object.
  const lines = objects.map(({ object }, index) => {
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    const module = ['kubernetes-models', group, version, object.kind].filter(Boolean).join('/');
    return `export const o${index}: import('${module}').I${object.kind} = ${JSON.stringify(object)};`;
  });
  const file = join(dir, '__rendered_manifests__.ts');
  const options: ts.CompilerOptions = {
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const source = ts.createSourceFile(file, lines.join('\n'), ts.ScriptTarget.ES2022);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, ...rest) => (name === file ? source : getSourceFile(name, ...rest));
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const problems: string[][] = sets.map(() => []);
  for (const diagnostic of ts.getPreEmitDiagnostics(program, source)) {
    const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
    const { set, object } = objects[line];
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    // Other type errors (a string for a number, a missing field) are the schemas' to report.
    if (EXCESS_PROPERTY.has(diagnostic.code)) problems[set].push(`${object.kind}/${object.metadata.name}: ${message}`);
    else if (
      diagnostic.category === ts.DiagnosticCategory.Error &&
      /Cannot find module|has no exported member/.test(message)
    )
      problems[set].push(`${object.kind}/${object.metadata.name}: ${message}`);
  }
  return problems;
}
