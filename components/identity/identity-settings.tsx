'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, Select, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';

type Role = 'viewer' | 'operator' | 'admin';
interface Mapping {
  value: string;
  role: Role;
}

/** Mappings as text, one `value = role` a line: easy to paste from an IdP's group list. */
function parseMappings(text: string): Mapping[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [value = '', role = ''] = l.split('=').map((x) => x.trim());
      return { value, role: role as Role };
    });
}

function OidcForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.identity.get.queryOptions());
  const [f, setF] = useState({ enabled: true, issuer: '', clientId: '', clientSecret: '', redirectUri: '', scope: 'openid profile email groups', roleClaim: 'groups', unmatched: 'deny' as 'deny' | 'viewer' });
  const [mappings, setMappings] = useState('');
  const [hasSecret, setHasSecret] = useState(false);
  useEffect(() => {
    const o = q.data?.oidc;
    if (o) {
      setF({ enabled: o.enabled, issuer: o.issuer, clientId: o.clientId, clientSecret: '', redirectUri: o.redirectUri, scope: o.scope, roleClaim: o.roleClaim, unmatched: o.unmatched });
      setMappings(o.mappings.map((m) => `${m.value} = ${m.role}`).join('\n'));
      setHasSecret(o.hasClientSecret);
    } else if (typeof window !== 'undefined') {
      setF((x) => ({ ...x, redirectUri: x.redirectUri || `${window.location.origin}/api/auth/oidc/callback` }));
    }
  }, [q.data]);
  const save = useMutation(trpc.identity.setOidc.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.identity.get.queryKey() }) }));
  const fe = fieldErrorsOf(save.error);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ ...f, mappings: parseMappings(mappings) });
  };
  return (
    <Card title="OpenID Connect (single sign-on)">
      <form onSubmit={submit} aria-label="OIDC settings" className="space-y-3">
        {save.isSuccess ? <Alert kind="success">Saved.</Alert> : null}
        {save.error && !Object.keys(fe).length ? <Alert>{errorMessage(save.error)}</Alert> : null}
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={f.enabled} onChange={(e) => setF((x) => ({ ...x, enabled: e.target.checked }))} /> Offer single sign-on on the login page
        </label>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Issuer" errors={fe.issuer} hint="https://idp.example/realms/main">
            <TextInput value={f.issuer} onChange={set('issuer')} />
          </Field>
          <Field label="Redirect URI" errors={fe.redirectUri} hint="Register this at the identity provider.">
            <TextInput value={f.redirectUri} onChange={set('redirectUri')} />
          </Field>
          <Field label="Client ID" errors={fe.clientId}>
            <TextInput value={f.clientId} onChange={set('clientId')} />
          </Field>
          <Field label="Client secret" errors={fe.clientSecret} hint={hasSecret ? 'Stored; leave empty to keep it.' : undefined}>
            <TextInput type="password" autoComplete="off" value={f.clientSecret} onChange={set('clientSecret')} />
          </Field>
          <Field label="Scopes" errors={fe.scope}>
            <TextInput value={f.scope} onChange={set('scope')} />
          </Field>
          <Field label="Role claim" errors={fe.roleClaim} hint="The ID token claim holding groups or roles.">
            <TextInput value={f.roleClaim} onChange={set('roleClaim')} />
          </Field>
        </div>
        <Field label="Mappings" errors={fe.mappings} hint="One a line: claim value = viewer | operator | admin. The highest match wins.">
          <textarea className="h-24 w-full rounded-md border border-slate-300 bg-white p-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-900" value={mappings} onChange={(e) => setMappings(e.target.value)} />
        </Field>
        <Field label="Users who match no mapping" errors={fe.unmatched}>
          <Select value={f.unmatched} onChange={(e) => setF((x) => ({ ...x, unmatched: e.target.value as 'deny' | 'viewer' }))}>
            <option value="deny">get no access</option>
            <option value="viewer">get viewer</option>
          </Select>
        </Field>
        <Button type="submit" disabled={save.isPending}>
          Save
        </Button>
      </form>
    </Card>
  );
}

function LocalLoginForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.identity.get.queryOptions());
  const [enabled, setEnabled] = useState(true);
  const [breakGlass, setBreakGlass] = useState('');
  useEffect(() => {
    if (q.data) {
      setEnabled(q.data.localLogin.enabled);
      setBreakGlass(q.data.localLogin.breakGlass);
    }
  }, [q.data]);
  const save = useMutation(trpc.identity.setLocalLogin.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.identity.get.queryKey() }) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ enabled, breakGlass });
  };
  return (
    <Card title="Local accounts">
      <form onSubmit={submit} aria-label="Local sign-in" className="space-y-3">
        {save.isSuccess ? <Alert kind="success">Saved.</Alert> : null}
        {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
        {/* Disabled until the stored values arrive: they would overwrite what was clicked before. */}
        <fieldset disabled={!q.data} className="space-y-3">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Local accounts may sign in with a password
          </label>
          <Field label="Break-glass admin" hint="A local admin who may always sign in with a password, in case the identity provider is down.">
            <TextInput value={breakGlass} onChange={(e) => setBreakGlass(e.target.value)} />
          </Field>
          <Button type="submit" disabled={save.isPending}>
            Save
          </Button>
        </fieldset>
      </form>
    </Card>
  );
}

function LdapForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.identity.get.queryOptions());
  const empty = { enabled: true, url: '', startTls: false, tlsCa: '', bindDn: '', bindPassword: '', userBase: '', userAttribute: 'uid', groupBase: '', memberAttribute: 'member', memberOfAttribute: 'memberOf', nestedGroupDepth: '5', unmatched: 'deny' as 'deny' | 'viewer' };
  const [f, setF] = useState(empty);
  const [mappings, setMappings] = useState('');
  useEffect(() => {
    const l = q.data?.ldap;
    if (!l) return;
    setF({ enabled: l.enabled, url: l.url, startTls: l.startTls, tlsCa: l.tlsCa, bindDn: l.bindDn, bindPassword: '', userBase: l.userBase, userAttribute: l.userAttribute, groupBase: l.groupBase, memberAttribute: l.memberAttribute, memberOfAttribute: l.memberOfAttribute, nestedGroupDepth: String(l.nestedGroupDepth), unmatched: l.unmatched });
    setMappings(l.mappings.map((m) => `${m.group} = ${m.role}`).join('\n'));
  }, [q.data]);
  const save = useMutation(trpc.identity.setLdap.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.identity.get.queryKey() }) }));
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const groups = parseMappings(mappings).map((m) => ({ group: m.value, role: m.role }));
    save.mutate({ settings: { ...f, nestedGroupDepth: Number(f.nestedGroupDepth), mappings: groups, timeoutMs: 5000 } });
  };
  return (
    <Card title="LDAP">
      <form onSubmit={submit} aria-label="LDAP settings" className="space-y-3">
        {save.isSuccess ? <Alert kind="success">Saved.</Alert> : null}
        {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={f.enabled} onChange={(e) => setF((x) => ({ ...x, enabled: e.target.checked }))} /> Check unknown usernames against the directory
        </label>
        <div className="grid grid-cols-2 gap-3">
          <Field label="Server" hint="ldaps://ldap.example:636, or ldap://… with StartTLS">
            <TextInput value={f.url} onChange={set('url')} />
          </Field>
          <label className="flex items-center gap-2 self-end text-sm">
            <input type="checkbox" checked={f.startTls} onChange={(e) => setF((x) => ({ ...x, startTls: e.target.checked }))} /> StartTLS
          </label>
          <Field label="Service account DN">
            <TextInput value={f.bindDn} onChange={set('bindDn')} />
          </Field>
          <Field label="Service account password" hint={q.data?.ldap ? 'Stored; leave empty to keep it.' : undefined}>
            <TextInput type="password" autoComplete="off" value={f.bindPassword} onChange={set('bindPassword')} />
          </Field>
          <Field label="User base DN">
            <TextInput value={f.userBase} onChange={set('userBase')} />
          </Field>
          <Field label="Username attribute" hint="uid, or sAMAccountName for Active Directory">
            <TextInput value={f.userAttribute} onChange={set('userAttribute')} />
          </Field>
          <Field label="Group base DN" hint="Groups under it whose member attribute names the user (or a group the user is in).">
            <TextInput value={f.groupBase} onChange={set('groupBase')} />
          </Field>
          <Field label="Group member attribute" hint="member (groupOfNames) or uniqueMember (groupOfUniqueNames)">
            <TextInput value={f.memberAttribute} onChange={set('memberAttribute')} />
          </Field>
          <Field label="User's groups attribute" hint="memberOf (Active Directory, OpenLDAP's memberof overlay); empty to skip">
            <TextInput value={f.memberOfAttribute} onChange={set('memberOfAttribute')} />
          </Field>
          <Field label="Nested group levels" hint="Groups inside groups followed this deep (0: direct membership only)">
            <TextInput type="number" min={0} max={10} value={f.nestedGroupDepth} onChange={set('nestedGroupDepth')} />
          </Field>
          <Field label="Users in no mapped group">
            <Select value={f.unmatched} onChange={(e) => setF((x) => ({ ...x, unmatched: e.target.value as 'deny' | 'viewer' }))}>
              <option value="deny">get no access</option>
              <option value="viewer">get viewer</option>
            </Select>
          </Field>
        </div>
        <Field label="Group mappings" hint="One a line: group cn or DN = viewer | operator | admin.">
          <textarea className="h-20 w-full rounded-md border border-slate-300 bg-white p-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-900" value={mappings} onChange={(e) => setMappings(e.target.value)} />
        </Field>
        <Field label="CA certificate (PEM)" hint="Empty trusts the system's CAs.">
          <textarea className="h-20 w-full rounded-md border border-slate-300 bg-white p-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-900" value={f.tlsCa} onChange={(e) => setF((x) => ({ ...x, tlsCa: e.target.value }))} />
        </Field>
        <Button type="submit" disabled={save.isPending}>
          Save
        </Button>
      </form>
    </Card>
  );
}

function EndpointRolesForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const roles = useQuery(trpc.identity.endpointRoles.queryOptions());
  const users = useQuery(trpc.users.list.queryOptions());
  const endpoints = useQuery(trpc.endpoints.list.queryOptions());
  const [userId, setUserId] = useState('');
  const [endpointId, setEndpointId] = useState('');
  const [role, setRole] = useState<'viewer' | 'operator'>('operator');
  const set = useMutation(trpc.identity.setEndpointRole.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.identity.endpointRoles.queryKey() }) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set.mutate({ userId, endpointId, role });
  };
  return (
    <Card title="Roles per endpoint">
      <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Replaces a user's role on one endpoint (viewer or operator). Admins stay admins everywhere.</p>
      {set.error ? <Alert>{errorMessage(set.error)}</Alert> : null}
      <form onSubmit={submit} aria-label="Endpoint role" className="mb-3 grid grid-cols-4 items-end gap-3">
        <Field label="User">
          <Select value={userId} onChange={(e) => setUserId(e.target.value)} required>
            <option value="">—</option>
            {users.data?.filter((u) => u.role !== 'admin').map((u) => (
              <option key={u.id} value={u.id}>
                {u.username} ({u.role})
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Endpoint">
          <Select value={endpointId} onChange={(e) => setEndpointId(e.target.value)} required>
            <option value="">—</option>
            {endpoints.data?.endpoints.map((ep) => (
              <option key={ep.id} value={ep.id}>
                {ep.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Role there">
          <Select value={role} onChange={(e) => setRole(e.target.value as 'viewer' | 'operator')}>
            <option>viewer</option>
            <option>operator</option>
          </Select>
        </Field>
        <Button type="submit" disabled={set.isPending}>
          Set
        </Button>
      </form>
      <DataTable
        rows={roles.data ?? []}
        rowKey={(r) => `${r.userId}/${r.endpointId}`}
        noHeader
        columns={[
          { key: 'user', header: 'User', cell: (r) => r.user.username },
          { key: 'endpoint', header: 'Endpoint', cell: (r) => endpoints.data?.endpoints.find((ep) => ep.id === r.endpointId)?.name ?? r.endpointId },
          { key: 'role', header: 'Role', cell: (r) => r.role },
          {
            key: 'actions',
            header: 'Actions',
            align: 'right',
            cell: (r) => (
              <Button variant="secondary" onClick={() => set.mutate({ userId: r.userId, endpointId: r.endpointId, role: null })}>
                Remove
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}

export function IdentitySettings() {
  return (
    <div className="max-w-3xl space-y-4">
      <OidcForm />
      <LdapForm />
      <LocalLoginForm />
      <EndpointRolesForm />
    </div>
  );
}
