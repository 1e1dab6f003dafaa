// The REST client downloads of the Postman tab: what each file is and how to run it. The key is never
// in a file: runners get it on the command line from an environment variable (`$API_KEY`).

import type { CollectionFormat } from '../gql/graphql';
import type { PageMode } from '../shell/paths';

export interface DownloadDef {
  format: CollectionFormat;
  tool: 'Postman' | 'Bruno' | 'Insomnia';
  title: string;
  description: string;
}

export const DOWNLOADS: readonly DownloadDef[] = [
  {
    format: 'POSTMAN',
    tool: 'Postman',
    title: 'Postman collection',
    description: 'Collection v2.1: one folder per resource, one request per operation, bearer auth from {{api_key}}.',
  },
  {
    format: 'POSTMAN_ENVIRONMENT',
    tool: 'Postman',
    title: 'Postman environment',
    description: 'base_url and entity_id for this entity, and an empty secret api_key.',
  },
  {
    format: 'BRUNO',
    tool: 'Bruno',
    title: 'Bruno (OpenCollection)',
    description: 'A zip of opencollection.yml, one file per request and environments/<name>.yml.',
  },
  {
    format: 'BRUNO_CLASSIC',
    tool: 'Bruno',
    title: 'Bruno (classic .bru)',
    description: 'A zip in the classic .bru layout, for older Bruno versions.',
  },
  {
    format: 'INSOMNIA',
    tool: 'Insomnia',
    title: 'Insomnia',
    description: 'A v5 YAML export (collection.insomnia.rest/5.0) with its environment.',
  },
];

/** The base name the server gives this entity's files (`acme-test`). */
export function collectionName(entityCode: string, mode: PageMode): string {
  return `${entityCode}-${mode}`;
}

/** Shell commands that run the downloaded collections; the key comes from `$API_KEY`. */
export function runCommands(entityCode: string, mode: PageMode): { tool: string; command: string }[] {
  const name = collectionName(entityCode, mode);
  return [
    {
      tool: 'newman (Postman)',
      command: `npx newman run ${name}.postman_collection.json -e ${name}.postman_environment.json --env-var api_key=$API_KEY`,
    },
    {
      tool: 'bru (Bruno)',
      command: `unzip ${name}.zip && cd ${name} && npx bru run -r --env ${name} --env-var api_key=$API_KEY`,
    },
  ];
}

/** True when `text` holds nothing that could be a filled-in key (`api_key` values are all empty). */
export function environmentHoldsNoKey(environment: { values?: { key: string; value: unknown }[] }): boolean {
  return (environment.values ?? []).every((v) => v.key !== 'api_key' || v.value === '');
}
