package forge.standin;

import java.util.Set;

/**
 * The authenticated caller of one request: its realm's store, its principal, and the scope its
 * token was issued for ({@code null} = {@code PRINCIPAL_ROLE:ALL}, else the named roles). The
 * roles actually activated are worked out per request from the current assignments, as Polaris
 * does, so a role assigned or revoked after the token was issued counts at once.
 */
record Caller(Store store, String principal, Set<String> requestedRoles) {
  boolean isRoot() {
    return Store.ROOT_PRINCIPAL.equals(principal);
  }
}
