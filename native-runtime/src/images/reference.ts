// Docker image references, normalised exactly as github.com/distribution/reference does
// (ParseNormalizedNamed, TagNameOnly, ParseDockerRef, FamiliarName/FamiliarString).

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
const ID_RE = /^[a-f0-9]{64}$/;
export const TAG_RE = new RegExp(`^${TAG}$`);

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

export class InvalidReferenceError extends Error {
  readonly code = 'INVALID_REFERENCE';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReferenceError';
  }
}

/** A fully-qualified reference: `domain/path[:tag][@digest]`. */
export interface Reference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** Parses a user-supplied ("familiar") reference into its fully-qualified form. No default tag is added. */
export function parseNormalizedNamed(s: string): Reference {
  if (ID_RE.test(s)) {
    throw new InvalidReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidReferenceError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  return parseNamed(`${domain}/${remainder}`);
}

/** Strict parse of an already-qualified reference (distribution's reference.Parse, plus "must be named"). */
export function parseNamed(s: string): Reference {
  if (s === '') throw new InvalidReferenceError('invalid reference format: repository name must have at least one component');
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (REFERENCE_RE.exec(s.toLowerCase())) {
      throw new InvalidReferenceError('invalid reference format: repository name must be lowercase');
    }
    throw new InvalidReferenceError('invalid reference format');
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const nm = ANCHORED_NAME_RE.exec(name);
  if (!nm) throw new InvalidReferenceError('invalid reference format');
  const ref: Reference = { domain: nm[1] ?? '', path: nm[2]! };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    validateDigest(m[3]);
    ref.digest = m[3];
  }
  return ref;
}

function validateDigest(d: string): void {
  const i = d.indexOf(':');
  const alg = d.slice(0, i);
  const hex = d.slice(i + 1);
  if (alg === 'sha256') {
    if (!/^[a-f0-9]{64}$/.test(hex)) throw new InvalidReferenceError('invalid checksum digest format');
  } else if (alg === 'sha384') {
    if (!/^[a-f0-9]{96}$/.test(hex)) throw new InvalidReferenceError('invalid checksum digest format');
  } else if (alg === 'sha512') {
    if (!/^[a-f0-9]{128}$/.test(hex)) throw new InvalidReferenceError('invalid checksum digest format');
  } else {
    throw new InvalidReferenceError('unsupported digest algorithm');
  }
}

function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** TagNameOnly: adds `latest` when the reference has neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  if (ref.tag === undefined && ref.digest === undefined) return { ...ref, tag: DEFAULT_TAG };
  return ref;
}

/** ParseDockerRef: normalised, default tag added, and a tag dropped when a digest is present. */
export function parseDockerRef(s: string): Reference {
  const ref = withDefaultTag(parseNormalizedNamed(s));
  if (ref.digest !== undefined && ref.tag !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  return ref;
}

export function fullName(ref: Reference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** The fully-qualified string: `docker.io/library/busybox:latest`. */
export function referenceString(ref: Reference): string {
  return fullName(ref) + (ref.tag !== undefined ? ':' + ref.tag : '') + (ref.digest !== undefined ? '@' + ref.digest : '');
}

/** The short form users type: `busybox`, `user/app`, `localhost:5000/x`. */
export function familiarName(ref: Reference): string {
  if (ref.domain === DEFAULT_DOMAIN) {
    const p = ref.path;
    if (p.startsWith(OFFICIAL_REPO_PREFIX) && !p.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
      return p.slice(OFFICIAL_REPO_PREFIX.length);
    }
    return p;
  }
  return fullName(ref);
}

/** `busybox:latest`, `user/app@sha256:…`. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag !== undefined ? ':' + ref.tag : '') + (ref.digest !== undefined ? '@' + ref.digest : '');
}

/** True for a bare 64-hex image id or `sha256:<64 hex>` (ParseAnyReference treats these as ids). */
export function isImageId(s: string): boolean {
  return ID_RE.test(s) || /^sha256:[a-f0-9]{64}$/.test(s);
}
