// A small strict JSON parser (RFC 8259: no comments, no trailing commas, no NaN) and a string escaper.
#pragma once

#include <stddef.h>

#include "error.h"

enum JsonType { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct JsonNode {
  JsonType type;
  bool boolean;
  double number;
  char *string;        // NUL-terminated; JSON strings containing \u0000 are rejected
  char *key;           // set when the node is a member of an object
  JsonNode *child;     // first element / member
  JsonNode *next;      // next sibling
};

// Parses text (len bytes). The config's tree lives until the process exits; trees parsed per message
// (attach control frames) are released with json_free.
JsonNode *json_parse(const char *text, size_t len, Error *e);
void json_free(JsonNode *n);
const JsonNode *json_get(const JsonNode *obj, const char *key);
size_t json_length(const JsonNode *arr);

// Writes s as a quoted JSON string into out (capacity cap); returns the length, truncating safely.
size_t json_quote(char *out, size_t cap, const char *s);
