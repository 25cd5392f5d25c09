// `User` → uid, gid and supplementary gids, the way runc's user.GetExecUser does, reading the image's
// /etc/passwd and /etc/group (a missing file is fine for numeric ids).
import { badParameter } from '../errors.js';

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string | null): PasswdEntry[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && f[0] && !f[0].startsWith('#'))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }))
    .filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

function parseGroup(text: string | null): GroupEntry[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0] && !f[0].startsWith('#'))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }))
    .filter((g) => Number.isInteger(g.gid));
}

const isNum = (s: string) => /^\d+$/.test(s);

export function resolveUser(spec: string, passwdText: string | null, groupText: string | null, groupAdd: string[] = []): ExecUser {
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const [userPart = '', groupPart] = spec.split(':', 2) as [string?, string?];
  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const byUser = userPart === '' ? passwd.find((p) => p.uid === 0) : passwd.find((p) => p.name === userPart || (isNum(userPart) && p.uid === Number(userPart)));
  if (byUser) {
    uid = byUser.uid;
    gid = byUser.gid;
    home = byUser.home;
    name = byUser.name;
  } else if (isNum(userPart)) {
    uid = Number(userPart);
  } else if (userPart !== '') {
    throw badParameter(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = groups.find((x) => x.name === groupPart || (isNum(groupPart) && x.gid === Number(groupPart)));
    if (g) gid = g.gid;
    else if (isNum(groupPart)) gid = Number(groupPart);
    else throw badParameter(`unable to find group ${groupPart}: no matching entries in group file`);
  }
  if (uid > 0xfffffffe || gid > 0xfffffffe) throw badParameter(`uid/gid out of range in user ${JSON.stringify(spec)}`);
  // The primary gid is always a supplementary group too, as in dockerd 20.10's containers (`-u 1000:1000`
  // shows `Groups: 1000`, root `Groups: 0 10`); the /etc/group memberships only when the group was not
  // given explicitly (runc's rule).
  const extra = new Set<number>([gid]);
  if (name !== undefined && (groupPart === undefined || groupPart === '')) {
    for (const g of groups) if (g.members.includes(name)) extra.add(g.gid);
  }
  for (const ga of groupAdd) {
    const g = groups.find((x) => x.name === ga);
    if (g) extra.add(g.gid);
    else if (isNum(ga)) extra.add(Number(ga));
    else throw badParameter(`Unable to find group ${ga}: no matching entries in group file`);
  }
  return { uid, gid, additionalGids: [...extra], home };
}
