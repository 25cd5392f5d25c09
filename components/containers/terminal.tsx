'use client';

import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { Alert, Button, Select, TextInput } from '../ui/controls';

const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;
const enc = new TextEncoder();

function frame(ch: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 1);
  out[0] = ch;
  out.set(data, 1);
  return out;
}

type Status = { kind: 'connecting' } | { kind: 'open' } | { kind: 'closed'; message: string; retry: boolean } | { kind: 'error'; message: string };

/**
 * xterm.js on /ws/exec: fills its pane and follows resizes (fit addon), links are clickable,
 * Ctrl+Shift+C / Ctrl+Shift+V copy and paste, and a dropped connection is retried.
 */
export function ContainerTerminal({ containerId, running, paused = false }: { containerId: string; running: boolean; paused?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const [shell, setShell] = useState('auto');
  const [user, setUser] = useState('');
  // `docker exec --privileged` (every capability): admins only, here and on the server.
  const isAdmin = useHasRole('admin');
  const [privileged, setPrivileged] = useState(false);
  const [session, setSession] = useState(0);
  const [status, setStatus] = useState<Status>({ kind: 'connecting' });
  const [find, setFind] = useState('');
  const searchRef = useRef<SearchAddon | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: { background: '#020617' },
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.loadAddon(new WebLinksAddon());
    searchRef.current = search;
    term.open(host.current);
    fit.fit();
    (window as unknown as { __berthTerminal?: Terminal }).__berthTerminal = term;

    let ws: WebSocket | null = null;
    let disposed = false;
    let attempts = 0;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    const decoder = new TextDecoder();

    const sendResize = () => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(frame(CH.resize, enc.encode(JSON.stringify({ cols: term.cols, rows: term.rows }))));
    };
    const connect = () => {
      setStatus({ kind: 'connecting' });
      const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
      const qs = new URLSearchParams({ container: containerId, cmd: shell, user, cols: String(term.cols), rows: String(term.rows), ...(privileged ? { privileged: '1' } : {}) });
      const sock = new WebSocket(`${proto}://${window.location.host}/ws/exec?${qs}`);
      sock.binaryType = 'arraybuffer';
      ws = sock;
      let errorShown = false;
      sock.onopen = () => {
        attempts = 0;
        setStatus({ kind: 'open' });
        term.focus();
      };
      sock.onmessage = (ev) => {
        const data = new Uint8Array(ev.data as ArrayBuffer);
        if (!data.length) return;
        const body = data.subarray(1);
        if (data[0] === CH.stdout || data[0] === CH.stderr) term.write(body);
        else if (data[0] === CH.error) {
          errorShown = true;
          setStatus({ kind: 'error', message: decoder.decode(body) });
        }
      };
      sock.onclose = (ev) => {
        if (disposed || ws !== sock) return;
        if (errorShown) return;
        if (ev.code === 1000) {
          term.write(`\r\n\x1b[2m[${ev.reason || 'session ended'}]\x1b[0m\r\n`);
          setStatus({ kind: 'closed', message: ev.reason || 'The shell exited.', retry: false });
          return;
        }
        // Dropped (network, server restart): try again, backing off.
        attempts++;
        const wait = Math.min(10_000, 500 * 2 ** Math.min(attempts, 5));
        setStatus({ kind: 'closed', message: `Connection lost; reconnecting in ${Math.round(wait / 1000)} s…`, retry: true });
        retryTimer = setTimeout(connect, wait);
      };
    };

    term.onData((d) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(frame(CH.stdin, enc.encode(d)));
    });
    term.onBinary((d) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(frame(CH.stdin, Uint8Array.from(d, (c) => c.charCodeAt(0))));
    });
    term.onResize(sendResize);
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        const sel = term.getSelection();
        if (sel) void navigator.clipboard?.writeText(sel).catch(() => undefined);
        return false;
      }
      if (e.code === 'KeyV') {
        void navigator.clipboard
          ?.readText()
          .then((t) => term.paste(t))
          .catch(() => undefined);
        return false;
      }
      return true;
    });
    const ro = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        /* hidden pane */
      }
    });
    ro.observe(host.current);
    if (running) connect();
    // Docker refuses exec in a paused container ("container is paused, unpause the container before exec").
    else if (paused) setStatus({ kind: 'error', message: 'This container is paused. Unpause it to open a terminal.' });
    else setStatus({ kind: 'error', message: 'This container is not running. Start it to open a terminal.' });

    return () => {
      disposed = true;
      if (retryTimer) clearTimeout(retryTimer);
      ro.disconnect();
      ws?.close(1000);
      term.dispose();
    };
  }, [containerId, shell, user, privileged, session, running, paused]);

  return (
    <div className="flex h-[calc(100vh-15rem)] min-h-96 flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <Select aria-label="Shell" className="w-40" value={shell} onChange={(e) => setShell(e.target.value)}>
          <option value="auto">bash, else sh</option>
          <option value="/bin/sh">/bin/sh</option>
          <option value="/bin/bash">/bin/bash</option>
          <option value="/bin/ash">/bin/ash</option>
        </Select>
        <TextInput
          aria-label="User"
          placeholder="user (default: the container's)"
          className="w-56"
          defaultValue={user}
          onBlur={(e) => setUser(e.target.value.trim())}
          onKeyDown={(e) => {
            if (e.key === 'Enter') setUser((e.target as HTMLInputElement).value.trim());
          }}
        />
        {isAdmin ? (
          <label className="flex items-center gap-1 text-sm text-slate-300" title="docker exec --privileged: every capability">
            <input type="checkbox" checked={privileged} onChange={(e) => setPrivileged(e.target.checked)} />
            Privileged
          </label>
        ) : null}
        <Button variant="secondary" onClick={() => setSession((s) => s + 1)}>
          Reconnect
        </Button>
        <span className="flex-1" />
        <TextInput
          aria-label="Find in terminal"
          placeholder="Find in terminal"
          className="w-48"
          value={find}
          onChange={(e) => {
            setFind(e.target.value);
            searchRef.current?.findNext(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') (e.shiftKey ? searchRef.current?.findPrevious(find) : searchRef.current?.findNext(find));
          }}
        />
        <span data-testid="terminal-status" className="text-xs text-slate-500">
          {status.kind === 'open' ? 'connected' : status.kind === 'connecting' ? 'connecting…' : status.kind === 'closed' ? 'closed' : 'unavailable'}
        </span>
      </div>
      {status.kind === 'error' ? <Alert>{status.message}</Alert> : null}
      {status.kind === 'closed' ? <Alert kind="info">{status.message}</Alert> : null}
      <div className="min-h-0 flex-1 rounded-md border border-slate-800 bg-slate-950 p-1">
        <div ref={host} data-testid="terminal" className="h-full w-full" />
      </div>
      <p className="text-xs text-slate-500">Copy: select, then Ctrl+Shift+C. Paste: Ctrl+Shift+V or the browser&apos;s paste.</p>
    </div>
  );
}
