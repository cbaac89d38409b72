package forge.standin;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The one HTTP entry point: turns a Jetty request into an {@link Exchange}, checks it against
 * the spec, resolves the realm ({@code Polaris-Realm}, default the first realm; an unknown one
 * is 404 {@code MissingOrInvalidRealm} as in Polaris), answers the token endpoint, verifies the
 * bearer token for everything else and routes to the management API, the Iceberg REST catalog
 * or the one Polaris-native catalog call served ({@link PolicyApi}). Any error
 * becomes Polaris's error envelope; the response is checked against the spec before it is sent.
 * {@code /_standin/spec-report} and {@code /_standin/health} (with the process's resident set
 * size) are the stand-in's own, unchecked.
 */
final class StandInHandler extends Handler.Abstract {
  private final Map<String, Store> realms;
  private final String defaultRealm;
  private final Tokens tokens;
  private final OAuthEndpoint oauth;
  private final ManagementApi management;
  private final IcebergApi iceberg;
  private final PolicyApi policies;
  private final SpecChecker spec;
  private final boolean accessLog;

  StandInHandler(
      Map<String, Store> realms,
      Tokens tokens,
      IcebergCatalogs catalogs,
      SpecChecker spec,
      boolean accessLog) {
    this.realms = realms;
    this.defaultRealm = realms.keySet().iterator().next();
    this.tokens = tokens;
    this.oauth = new OAuthEndpoint(tokens);
    this.management = new ManagementApi(catalogs);
    this.iceberg = new IcebergApi(catalogs);
    this.policies = new PolicyApi(catalogs);
    this.spec = spec;
    this.accessLog = accessLog;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws IOException {
    Exchange ex = exchange(request);
    if (ex.rawPath.startsWith("/_standin/")) {
      own(ex);
    } else {
      serve(ex);
      spec.checkResponse(ex);
    }
    if (accessLog) {
      System.err.printf("%s %s -> %d%n", ex.method, ex.rawPath, ex.status);
    }
    response.setStatus(ex.status);
    if (ex.contentType != null && ex.replyBody.length > 0) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, ex.contentType);
    }
    ex.replyHeaders.forEach((k, v) -> response.getHeaders().put(k, v));
    if (ex.method.equals("HEAD") || ex.replyBody.length == 0) {
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
      response.write(true, null, callback);
    } else {
      response.write(true, ByteBuffer.wrap(ex.replyBody), callback);
    }
    return true;
  }

  private void serve(Exchange ex) {
    try {
      List<String> violations = spec.checkRequest(ex);
      if (!violations.isEmpty() && ex.rawPath.startsWith("/api/management/")) {
        throw new ApiException(
            400,
            "ConstraintViolationException",
            "Invalid value: "
                + String.join("; ", violations.stream().map(v -> v.split("\n", 2)[0]).toList()));
      }
      String realmName = ex.header("polaris-realm");
      Store store = realms.get(realmName == null ? defaultRealm : realmName);
      if (store == null) {
        throw new ApiException(404, "MissingOrInvalidRealm", "Missing or invalid realm");
      }
      List<String> seg = ex.segments;
      if (seg.size() >= 4 && seg.subList(0, 4).equals(List.of("api", "catalog", "polaris", "v1"))) {
        policies.handle(
            ex, tokens.verify(ex.header("authorization"), store), seg.subList(4, seg.size()));
      } else if (seg.size() >= 3 && seg.get(0).equals("api") && seg.get(1).equals("catalog")
          && seg.get(2).equals("v1")) {
        List<String> rest = seg.subList(3, seg.size());
        if (rest.equals(List.of("oauth", "tokens"))) {
          if (!ex.method.equals("POST")) {
            throw new ApiException(405, "NotAllowedException", "HTTP " + ex.method + " is not allowed here");
          }
          oauth.handle(ex, store);
          return;
        }
        iceberg.handle(ex, tokens.verify(ex.header("authorization"), store), rest);
      } else if (seg.size() >= 3 && seg.get(0).equals("api") && seg.get(1).equals("management")
          && seg.get(2).equals("v1")) {
        management.handle(
            ex, tokens.verify(ex.header("authorization"), store), seg.subList(3, seg.size()));
      } else {
        throw ManagementApi.noRoute(ex);
      }
    } catch (RuntimeException e) {
      ApiException api = ErrorMapper.map(e);
      if (api.status >= 500) {
        e.printStackTrace();
      }
      var body = Json.object();
      var err = body.putObject("error");
      err.put("message", api.getMessage());
      err.put("type", api.type);
      err.put("code", api.status);
      ex.reply(api.status, Json.bytes(Json.PLAIN, body));
    }
  }

  private void own(Exchange ex) {
    switch (ex.rawPath) {
      case "/_standin/spec-report" -> ex.reply(200, Json.bytes(Json.PLAIN, spec.report()));
      case "/_standin/health" -> {
        var out = Json.object();
        out.put("status", "UP");
        out.put("rssKiB", rssKiB());
        ex.reply(200, Json.bytes(Json.PLAIN, out));
      }
      default -> ex.reply(404, "{}".getBytes(StandardCharsets.UTF_8));
    }
  }

  /** VmRSS of this process from /proc, in KiB; -1 where /proc is not there. */
  private static long rssKiB() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  private static Exchange exchange(Request request) throws IOException {
    String raw = request.getHttpURI().getPath();
    List<String> segments = new ArrayList<>();
    for (String s : raw.split("/")) {
      if (!s.isEmpty()) {
        segments.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    Map<String, List<String>> query = new LinkedHashMap<>();
    String q = request.getHttpURI().getQuery();
    if (q != null) {
      for (String pair : q.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        query.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
      }
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (HttpField f : request.getHeaders()) {
      headers.put(f.getName().toLowerCase(Locale.ROOT), f.getValue());
    }
    byte[] body;
    try (InputStream in = Content.Source.asInputStream(request)) {
      body = in.readAllBytes();
    }
    return new Exchange(request.getMethod(), raw, segments, query, headers, body);
  }
}
