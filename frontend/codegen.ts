// GraphQL Code Generator: the operation types of every document in src/ come from ../schema.graphql
// (the committed SDL). `npm run build` and `npm test` run it first, so a document that does not match
// the schema fails the build. The output (src/gql/) is generated, not committed.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema.graphql',
  // Every operation lives in a .graphql file next to the feature that sends it.
  documents: ['src/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Documents are plain strings (no graphql-js in the bundle), typed with their result and variables.
        documentMode: 'string',
        enumsAsTypes: true,
        futureProofEnums: false,
        useTypeImports: true,
        skipTypename: true,
        strictScalars: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
  },
};

export default config;
