package forge.standin;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One HTTP call as the routers see it: method, raw (still percent-encoded) path split into
 * decoded segments, query parameters, lower-cased headers and the body; and the reply they build.
 * Kept free of Jetty types so the spec checker and routers depend only on this.
 */
final class Exchange {
  final String method;
  final String rawPath;
  final List<String> segments;
  final Map<String, List<String>> query;
  final Map<String, String> headers;
  final byte[] body;

  int status = 200;
  String contentType = "application/json";
  byte[] replyBody = new byte[0];
  final Map<String, String> replyHeaders = new LinkedHashMap<>();

  Exchange(
      String method,
      String rawPath,
      List<String> segments,
      Map<String, List<String>> query,
      Map<String, String> headers,
      byte[] body) {
    this.method = method;
    this.rawPath = rawPath;
    this.segments = segments;
    this.query = query;
    this.headers = headers;
    this.body = body;
  }

  /** The first value of query parameter {@code name}, or null. */
  String query(String name) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  void reply(int status, byte[] json) {
    this.status = status;
    this.contentType = "application/json";
    this.replyBody = json;
  }

  void replyEmpty(int status) {
    this.status = status;
    this.contentType = null;
    this.replyBody = new byte[0];
  }

  String replyText() {
    return new String(replyBody, StandardCharsets.UTF_8);
  }
}
