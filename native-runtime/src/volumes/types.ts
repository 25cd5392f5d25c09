// What Berth keeps per volume (<root>/volumes/<name>/meta.json beside _data) and per container mount
// (in the container's config.json, `mounts`: inspect's Mounts entry plus what the shim needs).

export interface VolumeMeta {
  Name: string;
  CreatedAt: string;
  Driver: 'local';
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** Created for an image VOLUME or a Mounts entry without a name (Docker 23+'s anonymous label too). */
  anonymous: boolean;
}

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface ContainerMount {
  Type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name (volume mounts only). */
  Name?: string;
  /** Host path: the volume's _data, the bind source; '' for tmpfs. */
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** tmpfs mount data (size=…, mode=…) and flags. */
  tmpfsOptions?: string[];
  /** The volume was created for this container without a name. */
  anonymous?: boolean;
}
