package forge.standin;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks every request the stand-in receives and every response it sends against Polaris's
 * official OpenAPI documents (the verbatim copies in {@code spec/}): the management document for
 * {@code /api/management/v1}; for {@code /api/catalog}, upstream's bundled catalog document
 * ({@code generated/bundled-polaris-catalog-service.yaml}: the catalog document with Iceberg's
 * REST document and the Polaris catalog APIs it refers to resolved into one file; the parser
 * needs 5 s to follow the multi-file references, 0.5 s for the bundle). Each check is counted;
 * each error-level finding is recorded with the call it was found on.
 *
 * <p>A request carrying {@code X-Forge-Expect-Violation: request} is one a test sent off-spec on
 * purpose: its findings are recorded apart as expected, and if the checker finds nothing wrong
 * with it that is recorded as a missed violation, so a checker that cannot fail shows up as a
 * failure. Responses are never exempt. The report is served at {@code /_standin/spec-report}.
 *
 * <p>Three adjustments, each visible in the report:
 * <ul>
 *   <li>The validator library by default closes every object schema ({@code additionalProperties:
 *       false}), which OpenAPI does not; that injection is switched off. The one schema the
 *       documents close explicitly, Iceberg's {@code IcebergErrorResponse}, is checked here
 *       instead: every error body must be exactly {@code {"error":{message,type,code}}}.
 *   <li>The token endpoint declares {@code BearerAuth} security, which a client fetching its
 *       first token cannot have; a missing bearer token there is counted as waived. Two client
 *       habits are normalized before the check and counted as waived too (see
 *       {@link #request}).
 *   <li>An error status the document does not list for the operation (Polaris answers several,
 *       e.g. 409 on a duplicate principal, 404 for an unknown catalog prefix), or lists without a
 *       body (the management document's 403 and 404 responses; Polaris sends its envelope),
 *       cannot be checked by the library; its body is checked against the error envelope here
 *       and the call is counted as "undocumented". A success status or success body the
 *       document does not list is a violation.
 * </ul>
 */
final class SpecChecker {
  /** One finding: which side, which call, what was wrong. */
  record Finding(String side, String method, String path, int status, List<String> messages) {}

  private static final String TOKENS = "/api/catalog/v1/oauth/tokens";

  private final OpenApiInteractionValidator management;
  private final OpenApiInteractionValidator catalog;
  private final AtomicLong checks = new AtomicLong();
  private final List<Finding> violations = new ArrayList<>();
  private final List<Finding> expected = new ArrayList<>();
  private final List<Finding> missed = new ArrayList<>();
  private final Map<String, AtomicLong> waived = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<Finding> undocumented = new ArrayList<>();

  SpecChecker(Path specDir) {
    this.management =
        OpenApiInteractionValidator.createFor(
                SpecDocuments.load(specDir.resolve("polaris-management-service.yml")))
            .withBasePathOverride("/api/management/v1")
            .withLevelResolver(levels())
            .build();
    this.catalog =
        OpenApiInteractionValidator.createFor(
                SpecDocuments.load(specDir.resolve("generated/bundled-polaris-catalog-service.yaml")))
            .withBasePathOverride("/api/catalog")
            .withLevelResolver(levels())
            .build();
  }

  private OpenApiInteractionValidator validatorFor(String path) {
    if (path.startsWith("/api/management/v1/") || path.equals("/api/management/v1")) {
      return management;
    }
    if (path.startsWith("/api/catalog/")) {
      return catalog;
    }
    return null;
  }

  /** Checks a request; returns the error messages (empty when it conforms or is not checked). */
  List<String> checkRequest(Exchange ex) {
    OpenApiInteractionValidator v = validatorFor(ex.rawPath);
    if (v == null) {
      return List.of();
    }
    checks.incrementAndGet();
    List<String> errors = errors(v.validateRequest(request(ex)));
    if (ex.rawPath.equals(TOKENS)
        && errors.removeIf(e -> e.startsWith("validation.request.security.missing"))) {
      waive("token request without a bearer token");
    }
    boolean deliberate = "request".equalsIgnoreCase(ex.header("x-forge-expect-violation"));
    synchronized (this) {
      if (deliberate && errors.isEmpty()) {
        missed.add(new Finding("request", ex.method, ex.rawPath, 0, List.of("no violation found")));
      } else if (deliberate) {
        expected.add(new Finding("request", ex.method, ex.rawPath, 0, errors));
      } else if (!errors.isEmpty()) {
        violations.add(new Finding("request", ex.method, ex.rawPath, 0, errors));
      }
    }
    return errors;
  }

  /** Checks the response about to be sent for {@code ex}. */
  void checkResponse(Exchange ex) {
    OpenApiInteractionValidator v = validatorFor(ex.rawPath);
    if (v == null) {
      return;
    }
    checks.incrementAndGet();
    SimpleResponse.Builder b = SimpleResponse.Builder.status(ex.status);
    if (ex.replyBody.length > 0) {
      b.withBody(ex.replyText());
    }
    if (ex.contentType != null) {
      b.withContentType(ex.contentType);
    }
    ex.replyHeaders.forEach(b::withHeader);
    List<String> errors =
        errors(v.validateResponse(ex.rawPath, Request.Method.valueOf(ex.method), b.build()));
    if (ex.status >= 400) {
      errors.addAll(envelopeErrors(ex));
      boolean unknown =
          errors.removeIf(
              e ->
                  e.startsWith("validation.response.status.unknown")
                      || e.startsWith("validation.response.body.unexpected"));
      if (unknown && errors.isEmpty()) {
        synchronized (this) {
          undocumented.add(
              new Finding(
                  "response",
                  ex.method,
                  ex.rawPath,
                  ex.status,
                  List.of(ex.replyText().substring(0, Math.min(300, ex.replyText().length())))));
        }
        return;
      }
    }
    if (!errors.isEmpty()) {
      synchronized (this) {
        violations.add(new Finding("response", ex.method, ex.rawPath, ex.status, errors));
      }
    }
  }

  /** The report: counts and every finding. */
  synchronized ObjectNode report() {
    ObjectNode out = Json.object();
    out.put("checks", checks.get());
    out.set("violations", list(violations));
    out.set("expected", list(expected));
    out.set("missed", list(missed));
    ObjectNode w = out.putObject("waived");
    waived.forEach((reason, n) -> w.put(reason, n.get()));
    out.set("undocumented", list(undocumented));
    return out;
  }

  private static ArrayNode list(List<Finding> findings) {
    ArrayNode a = Json.array();
    for (Finding f : findings) {
      ObjectNode o = a.addObject();
      o.put("side", f.side());
      o.put("method", f.method());
      o.put("path", f.path());
      if (f.status() != 0) {
        o.put("status", f.status());
      }
      ArrayNode m = o.putArray("messages");
      f.messages().forEach(m::add);
    }
    return a;
  }

  private static LevelResolver levels() {
    return LevelResolver.create()
        .withLevel("validation.schema.additionalProperties", ValidationReport.Level.IGNORE)
        .build();
  }

  /**
   * The error envelope both documents use (Iceberg's closed {@code IcebergErrorResponse} with an
   * {@code ErrorModel}), or on the token endpoint the OAuth error body (the endpoint's own
   * errors) or the envelope (an unknown realm is refused before the endpoint, as in Polaris).
   */
  private static List<String> envelopeErrors(Exchange ex) {
    List<String> out = new ArrayList<>();
    com.fasterxml.jackson.databind.JsonNode body;
    try {
      body = Json.PLAIN.readTree(ex.replyBody);
    } catch (java.io.IOException e) {
      return List.of("envelope: error body is not JSON");
    }
    if (ex.rawPath.equals(TOKENS) && body != null && body.path("error").isTextual()) {
      return out; // the OAuth error body, which the token endpoint's document defines
    }
    if (body == null || !body.isObject() || body.size() != 1 || !body.path("error").isObject()) {
      out.add("envelope: error body must be exactly {\"error\":{...}}");
      return out;
    }
    var err = body.get("error");
    if (!err.path("message").isTextual()
        || !err.path("type").isTextual()
        || !err.path("code").isInt()
        || err.path("code").asInt() != ex.status) {
      out.add("envelope: error needs message and type strings and code = the HTTP status");
    }
    return out;
  }

  private void waive(String reason) {
    waived.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
  }

  /**
   * The request as the validator sees it, with two normalizations that are counted as waivers:
   * client credentials sent in a Basic header on the token endpoint (which the endpoint's
   * description recommends, though its schema wants them in the form) are moved into the form;
   * an empty {@code X-Iceberg-Access-Delegation} header (pyiceberg's only way to turn delegation
   * off, as the seed does; Polaris reads it as "no delegation") is left out.
   */
  private SimpleRequest request(Exchange ex) {
    SimpleRequest.Builder b = new SimpleRequest.Builder(ex.method, ex.rawPath);
    byte[] body = ex.body;
    String auth = ex.header("authorization");
    if (ex.rawPath.equals(TOKENS) && auth != null && auth.startsWith("Basic ")) {
      String form = Json.text(body);
      var fields = OAuthEndpoint.parseForm(form);
      try {
        String decoded =
            new String(
                java.util.Base64.getDecoder().decode(auth.substring(6).trim()),
                java.nio.charset.StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        if (colon > 0 && !fields.containsKey("client_id") && !fields.containsKey("client_secret")) {
          form +=
              (form.isEmpty() ? "" : "&")
                  + "client_id="
                  + java.net.URLEncoder.encode(decoded.substring(0, colon), java.nio.charset.StandardCharsets.UTF_8)
                  + "&client_secret="
                  + java.net.URLEncoder.encode(decoded.substring(colon + 1), java.nio.charset.StandardCharsets.UTF_8);
          body = form.getBytes(java.nio.charset.StandardCharsets.UTF_8);
          waive("client credentials in a Basic header on the token endpoint");
        }
      } catch (IllegalArgumentException e) {
        // not base64: validate the request as sent
      }
    }
    if (body.length > 0) {
      b.withBody(body);
    }
    for (Map.Entry<String, String> h : ex.headers.entrySet()) {
      if (body != ex.body && h.getKey().equals("authorization")) {
        continue;
      }
      if (h.getKey().equals("x-iceberg-access-delegation") && h.getValue().isEmpty()) {
        waive("empty X-Iceberg-Access-Delegation header");
        continue;
      }
      b.withHeader(h.getKey(), h.getValue());
    }
    for (Map.Entry<String, List<String>> q : ex.query.entrySet()) {
      b.withQueryParam(q.getKey(), q.getValue());
    }
    return b.build();
  }

  /** Error-level findings, each with the nested findings that explain it (oneOf branches). */
  private static List<String> errors(ValidationReport report) {
    List<String> out = new ArrayList<>();
    for (ValidationReport.Message m : report.getMessages()) {
      if (m.getLevel() == ValidationReport.Level.ERROR) {
        StringBuilder b = new StringBuilder(m.getKey() + ": " + m.getMessage());
        nested(m, b, 1);
        out.add(b.toString());
      }
    }
    return out;
  }

  private static void nested(ValidationReport.Message m, StringBuilder b, int depth) {
    if (depth > 6) {
      return;
    }
    for (ValidationReport.Message n : m.getNestedMessages()) {
      b.append("\n").append("  ".repeat(depth)).append(n.getMessage());
      nested(n, b, depth + 1);
    }
  }
}
