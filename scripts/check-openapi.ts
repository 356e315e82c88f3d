import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';

/** Validates every OpenAPI document of the project against the OpenAPI 3 schema, as code generators and viewers will. */
const DOCUMENTS = ['docs/openapi.yaml', 'docs/customer-openapi.yaml'];

async function main() {
  let failed = false;
  for (const document of DOCUMENTS) {
    try {
      const api = await SwaggerParser.validate(path.join(__dirname, '..', document));
      console.log(`${document}: valid OpenAPI ${'openapi' in api ? api.openapi : ''}, ${Object.keys(api.paths ?? {}).length} paths`);
    } catch (err) {
      failed = true;
      console.error(`${document}: ${(err as Error).message}`);
    }
  }
  if (failed) process.exit(1);
}

void main();
