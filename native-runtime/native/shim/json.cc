#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

namespace {

const int kMaxDepth = 64;

struct Parser {
  const char *begin;
  const char *p;
  const char *end;
  Error *e;
};

bool bad(Parser *ps, const char *what) {
  return fail(ps->e, "config", EINVAL, "invalid JSON at byte %ld: %s", (long)(ps->p - ps->begin), what);
}

void skip_ws(Parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

JsonNode *new_node(JsonType t) {
  JsonNode *n = (JsonNode *)calloc(1, sizeof(JsonNode));
  if (n) n->type = t;
  return n;
}

bool literal(Parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return false;
  ps->p += n;
  return true;
}

int hex4(const char *s) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

// Parses a string starting at the opening quote into a fresh NUL-terminated buffer.
char *parse_string(Parser *ps) {
  ps->p++;  // opening quote
  const char *start = ps->p;
  // Decoded output is never longer than the escaped input.
  const char *q = start;
  while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
  if (q >= ps->end) { bad(ps, "unterminated string"); return nullptr; }
  char *out = (char *)malloc((size_t)(q - start) + 1);
  if (!out) { fail(ps->e, "config", ENOMEM, "out of memory"); return nullptr; }
  size_t n = 0;
  while (ps->p < ps->end && *ps->p != '"') {
    unsigned char c = (unsigned char)*ps->p;
    if (c < 0x20) { free(out); bad(ps, "control character in string"); return nullptr; }
    if (c != '\\') { out[n++] = (char)c; ps->p++; continue; }
    if (ps->end - ps->p < 2) break;
    char esc = ps->p[1];
    ps->p += 2;
    switch (esc) {
      case '"': out[n++] = '"'; break;
      case '\\': out[n++] = '\\'; break;
      case '/': out[n++] = '/'; break;
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': {
        int cp = ps->end - ps->p >= 4 ? hex4(ps->p) : -1;
        if (cp < 0) { free(out); bad(ps, "bad \\u escape"); return nullptr; }
        ps->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
          int lo = (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') ? hex4(ps->p + 2) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF) { free(out); bad(ps, "lone surrogate"); return nullptr; }
          ps->p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          free(out); bad(ps, "lone surrogate"); return nullptr;
        }
        if (cp == 0) { free(out); bad(ps, "\\u0000 is not allowed"); return nullptr; }
        n += put_utf8(out + n, (unsigned)cp);
        break;
      }
      default: free(out); bad(ps, "bad escape"); return nullptr;
    }
  }
  if (ps->p >= ps->end) { free(out); bad(ps, "unterminated string"); return nullptr; }
  ps->p++;  // closing quote
  out[n] = 0;
  return out;
}

bool parse_number(Parser *ps, double *out) {
  const char *s = ps->p;
  const char *q = s;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end || *q < '0' || *q > '9') return bad(ps, "bad number");
  if (*q == '0') q++;
  else while (q < ps->end && *q >= '0' && *q <= '9') q++;
  if (q < ps->end && *q == '.') {
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') return bad(ps, "bad fraction");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') return bad(ps, "bad exponent");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  char buf[64];
  if ((size_t)(q - s) >= sizeof buf) return bad(ps, "number too long");
  memcpy(buf, s, (size_t)(q - s));
  buf[q - s] = 0;
  *out = strtod(buf, nullptr);
  ps->p = q;
  return true;
}

JsonNode *parse_value(Parser *ps, int depth);

JsonNode *parse_container(Parser *ps, int depth, bool object) {
  JsonNode *n = new_node(object ? JSON_OBJECT : JSON_ARRAY);
  if (!n) { fail(ps->e, "config", ENOMEM, "out of memory"); return nullptr; }
  ps->p++;
  skip_ws(ps);
  char close = object ? '}' : ']';
  if (ps->p < ps->end && *ps->p == close) { ps->p++; return n; }
  JsonNode **tail = &n->child;
  for (;;) {
    char *key = nullptr;
    if (object) {
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != '"') { bad(ps, "expected member name"); return nullptr; }
      if (!(key = parse_string(ps))) return nullptr;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') { bad(ps, "expected ':'"); return nullptr; }
      ps->p++;
    }
    JsonNode *v = parse_value(ps, depth + 1);
    if (!v) return nullptr;
    v->key = key;
    *tail = v;
    tail = &v->next;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
    if (ps->p < ps->end && *ps->p == close) { ps->p++; return n; }
    bad(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    return nullptr;
  }
}

JsonNode *parse_value(Parser *ps, int depth) {
  if (depth > kMaxDepth) { bad(ps, "nesting too deep"); return nullptr; }
  skip_ws(ps);
  if (ps->p >= ps->end) { bad(ps, "unexpected end"); return nullptr; }
  char c = *ps->p;
  if (c == '{' || c == '[') return parse_container(ps, depth, c == '{');
  if (c == '"') {
    char *s = parse_string(ps);
    if (!s) return nullptr;
    JsonNode *n = new_node(JSON_STRING);
    if (n) n->string = s;
    return n;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    JsonNode *n = new_node(JSON_NUMBER);
    if (!n || !parse_number(ps, &n->number)) return nullptr;
    return n;
  }
  if (literal(ps, "true") || literal(ps, "false")) {
    JsonNode *n = new_node(JSON_BOOL);
    if (n) n->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u';
    return n;
  }
  if (literal(ps, "null")) return new_node(JSON_NULL);
  bad(ps, "unexpected character");
  return nullptr;
}

}  // namespace

JsonNode *json_parse(const char *text, size_t len, Error *e) {
  Parser ps{text, text, text + len, e};
  JsonNode *root = parse_value(&ps, 0);
  if (!root) return nullptr;
  skip_ws(&ps);
  if (ps.p != ps.end) { bad(&ps, "trailing data"); return nullptr; }
  return root;
}

void json_free(JsonNode *n) {
  while (n) {
    JsonNode *next = n->next;
    json_free(n->child);
    free(n->string);
    free(n->key);
    free(n);
    n = next;
  }
}

const JsonNode *json_get(const JsonNode *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT) return nullptr;
  for (const JsonNode *m = obj->child; m; m = m->next)
    if (strcmp(m->key, key) == 0) return m;
  return nullptr;
}

size_t json_length(const JsonNode *arr) {
  size_t n = 0;
  for (const JsonNode *m = arr ? arr->child : nullptr; m; m = m->next) n++;
  return n;
}

size_t json_quote(char *out, size_t cap, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
  auto put = [&](char c) { if (n + 1 < cap) out[n++] = c; };
  put('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { put('\\'); put((char)c); }
    else if (c == '\n') { put('\\'); put('n'); }
    else if (c == '\t') { put('\\'); put('t'); }
    else if (c < 0x20) { put('\\'); put('u'); put('0'); put('0'); put(hex[c >> 4]); put(hex[c & 15]); }
    else put((char)c);
  }
  put('"');
  if (cap) out[n < cap ? n : cap - 1] = 0;
  return n;
}
