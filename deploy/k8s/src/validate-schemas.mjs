// Validates Kubernetes objects against the API's OpenAPI schemas, as compiled into kubernetes-models (one ajv
// validator per kind). Reads a JSON array of objects on stdin and prints a JSON array of problems, one string
// each. A script of its own because kubernetes-models is ESM only, which Jest's CommonJS runtime cannot load;
// Node runs it natively.
import { text } from 'node:stream/consumers';

const objects = JSON.parse(await text(process.stdin));
const problems = [];
for (const object of objects) {
  const at = `${object.kind}/${object.metadata?.name}`;
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const module = group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  let Model;
  try {
    Model = (await import(module))[object.kind];
  } catch {
    Model = undefined;
  }
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
process.stdout.write(JSON.stringify(problems));
