package forge.standin;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code POST /api/catalog/v1/oauth/tokens}: the OAuth2 client-credentials flow as Polaris's
 * internal token broker answers it. Credentials come from the form body or a Basic header; the
 * scope is required and must be {@code PRINCIPAL_ROLE:<name>} values. Errors use the OAuth error
 * body {@code {"error","error_description"}}: 400 {@code invalid_client} (no secret),
 * {@code invalid_request} (no secret but a non-Basic Authorization header),
 * {@code invalid_grant} (another grant type), {@code invalid_scope}, and 401
 * {@code unauthorized_client} for unknown credentials.
 */
final class OAuthEndpoint {
  private final Tokens tokens;

  OAuthEndpoint(Tokens tokens) {
    this.tokens = tokens;
  }

  void handle(Exchange ex, Store store) {
    Map<String, String> form = parseForm(Json.text(ex.body));
    String clientId = form.get("client_id");
    String secret = form.get("client_secret");
    String auth = ex.header("authorization");
    if (secret == null && auth != null && auth.startsWith("Basic ")) {
      String decoded =
          new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        error(ex, 400, "invalid_request", "The request is invalid");
        return;
      }
      clientId = decoded.substring(0, colon);
      secret = decoded.substring(colon + 1);
    }
    if (secret == null && auth != null) {
      // Another kind of Authorization header and no secret: Polaris's invalid_request.
      error(ex, 400, "invalid_request", "The request is invalid");
      return;
    }
    String grantType = form.get("grant_type");
    String scope = form.get("scope");
    if (clientId == null || clientId.isEmpty() || secret == null || secret.isEmpty()) {
      error(ex, 400, "invalid_client", "The Client is invalid");
      return;
    }
    if (!"client_credentials".equals(grantType)) {
      error(ex, 400, "invalid_grant", "The grant is invalid");
      return;
    }
    if (scope == null || scope.isEmpty()) {
      error(ex, 400, "invalid_scope", "The scope is invalid");
      return;
    }
    for (String s : scope.split(" ")) {
      if (!s.startsWith("PRINCIPAL_ROLE:") || s.length() == "PRINCIPAL_ROLE:".length()) {
        error(ex, 400, "invalid_scope", "The scope is invalid");
        return;
      }
    }
    String principal;
    synchronized (store) {
      Entity p = store.principalByClientId(clientId);
      if (p == null || !secret.equals(store.secrets.get(clientId))) {
        error(ex, 401, "unauthorized_client", "The client is not authorized");
        return;
      }
      principal = p.name;
    }
    var body = Json.object();
    body.put("access_token", tokens.issue(store.realm, principal, scope));
    body.put("token_type", "bearer");
    body.put("issued_token_type", "urn:ietf:params:oauth:token-type:access_token");
    body.put("expires_in", tokens.lifetimeSeconds());
    ex.reply(200, Json.bytes(Json.PLAIN, body));
  }

  private static void error(Exchange ex, int status, String error, String description) {
    var body = Json.object();
    body.put("error", error);
    body.put("error_description", description);
    ex.reply(status, Json.bytes(Json.PLAIN, body));
  }

  static Map<String, String> parseForm(String body) {
    Map<String, String> out = new HashMap<>();
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }
}
