// Engine API wire shapes (Docker Engine API 1.41, as dockerd 20.10 sends them), named after their swagger
// definitions. Shapes several areas share: labels, the `filters` query value, GraphDriverData.
// Nullability follows the wire: where dockerd sends `null` for an empty list, the type says `T[] | null`.

// Engine API shapes (Docker Engine API 1.41, as dockerd 20.10 sends them), derived field by field from
// ../../../../shared/fixtures/docker-api/. Field names and nullability follow the wire: where dockerd
// sends `null` for an empty list, the type says `T[] | null`.
export type Labels = Record<string, string>;

/** Docker's `filters` query value: either the JSON map form or the old `{key: {value: true}}` form. */
export type Filters = Record<string, string[] | Record<string, boolean>>;

export interface GraphDriverData {
  Data: Record<string, string> | null;
  Name: string;
}
