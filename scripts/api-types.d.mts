/** The console's API types file (apps/console/src/generated/api-types.ts). */
export declare const API_TYPES_FILE: string;
/** The TypeScript text of an OpenAPI document's types, formatted as the repository formats it. */
export declare function renderApiTypes(doc: object): Promise<string>;
