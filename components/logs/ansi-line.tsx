import Anser from 'anser';
import type { ReactNode } from 'react';

/** Wraps each match of `re` in <mark>; `current` marks the active search hit. */
function highlight(text: string, re: RegExp | null, current: boolean, key: string): ReactNode {
  if (!re || !text) return text;
  const g = new RegExp(re.source, 'gi');
  const out: ReactNode[] = [];
  let last = 0;
  for (let m = g.exec(text); m; m = g.exec(text)) {
    if (m[0] === '') break;
    out.push(text.slice(last, m.index));
    out.push(
      <mark key={`${key}-${m.index}`} className={current ? 'bg-orange-400 text-black' : 'bg-yellow-300 text-black'}>
        {m[0]}
      </mark>,
    );
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

/** One log line with its ANSI colours (SGR) rendered and search matches highlighted. */
export function AnsiLine({ text, re, current }: { text: string; re: RegExp | null; current: boolean }) {
  if (text.indexOf('\x1b') === -1) return <>{highlight(text, re, current, 'p')}</>;
  const parts = Anser.ansiToJson(text, { remove_empty: true, use_classes: false });
  return (
    <>
      {parts.map((p, i) => {
        const style: React.CSSProperties = {};
        if (p.fg) style.color = `rgb(${p.fg})`;
        if (p.bg) style.backgroundColor = `rgb(${p.bg})`;
        const deco = p.decorations ?? [];
        if (deco.includes('bold')) style.fontWeight = 600;
        if (deco.includes('italic')) style.fontStyle = 'italic';
        if (deco.includes('underline')) style.textDecoration = 'underline';
        if (deco.includes('dim')) style.opacity = 0.7;
        return (
          <span key={i} style={style}>
            {highlight(p.content, re, current, String(i))}
          </span>
        );
      })}
    </>
  );
}
