// Validates Kubernetes objects against the API's OpenAPI schemas, as compiled into kubernetes-models (one ajv
// validator per kind). Reads a JSON array of sets of objects on stdin and prints, for each set, a JSON array of
// its problems, one string each. A script of its own because kubernetes-models is ESM only, which Jest's
// CommonJS runtime cannot load; Node runs it natively, once for every set (a process costs about a second).
import { text } from 'node:stream/consumers';

async function problemsOf(objects) {
  const problems = [];
  for (const object of objects) {
    const at = `${object.kind}/${object.metadata?.name}`;
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    const module = group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
    const Model = await import(module).then(
      (models) => models[object.kind],
      () => undefined,
    );
    if (!Model) {
      problems.push(`${at}: ${object.apiVersion} ${object.kind} is not a kind of the Kubernetes API`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${at}: ${error.message}`);
    }
  }
  return problems;
}

const sets = JSON.parse(await text(process.stdin));
const results = [];
for (const objects of sets) results.push(await problemsOf(objects));
process.stdout.write(JSON.stringify(results));
