package forge.standin;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bearer tokens for the client-credentials flow. Polaris issues signed JWTs; this stand-in issues
 * opaque random tokens it remembers (no client here reads a token's contents), each bound to a
 * realm, a principal and a scope, and valid for the lifetime given at start (default {@link
 * #DEFAULT_LIFETIME_SECONDS}, Polaris's default {@code maxTokenGeneration} of one hour). A token
 * for another realm, an expired token, or one whose principal has since been dropped is 401
 * {@code NotAuthorizedException}.
 */
final class Tokens {
  static final int DEFAULT_LIFETIME_SECONDS = 3600;

  private record Issued(String realm, String principal, Set<String> roles, long expiresAtMillis) {}

  private final Map<String, Issued> issued = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final int lifetimeSeconds;

  Tokens(int lifetimeSeconds) {
    this.lifetimeSeconds = lifetimeSeconds;
  }

  /** Seconds a new token is valid ({@code expires_in}). */
  int lifetimeSeconds() {
    return lifetimeSeconds;
  }

  /**
   * A new token for {@code principal} in {@code realm}; {@code scope} is Polaris's
   * {@code PRINCIPAL_ROLE:ALL} or space-separated {@code PRINCIPAL_ROLE:<name>} values (already
   * validated by the caller).
   */
  String issue(String realm, String principal, String scope) {
    Set<String> roles = new LinkedHashSet<>();
    boolean all = false;
    for (String s : scope.split(" ")) {
      String role = s.substring("PRINCIPAL_ROLE:".length());
      if (role.equals("ALL")) {
        all = true;
      }
      roles.add(role);
    }
    byte[] b = new byte[32];
    random.nextBytes(b);
    String token = "standin." + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    long expiry = System.currentTimeMillis() + lifetimeSeconds * 1000L;
    issued.put(token, new Issued(realm, principal, all ? null : roles, expiry));
    return token;
  }

  /** The caller a bearer token stands for in {@code store}'s realm, or a 401. */
  Caller verify(String authorization, Store store) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ApiException.notAuthorized("Missing or invalid Authorization header");
    }
    Issued t = issued.get(authorization.substring(7).trim());
    if (t == null || t.expiresAtMillis < System.currentTimeMillis()) {
      throw ApiException.notAuthorized("Failed to verify the token");
    }
    if (!t.realm.equals(store.realm)) {
      throw ApiException.notAuthorized("Failed to verify the token");
    }
    synchronized (store) {
      if (!store.principals.containsKey(t.principal)) {
        throw ApiException.notAuthorized("Principal %s does not exist", t.principal);
      }
    }
    return new Caller(store, t.principal, t.roles);
  }
}
