// Engine API wire shapes (Docker Engine API 1.41, as dockerd 20.10 sends them), named after their swagger
// definitions. GET /events: EventMessage.
// Nullability follows the wire: where dockerd sends `null` for an empty list, the type says `T[] | null`.

/** GET /events item. `status`, `id` and `from` are the pre-1.22 fields dockerd still sends for containers and images. */
export interface EventMessage {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local' | 'swarm';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}
