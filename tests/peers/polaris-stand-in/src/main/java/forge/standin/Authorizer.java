package forge.standin;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Polaris's role-based authorization, written from its behaviour: a caller activates the
 * principal roles its token's scope names (all assigned ones for {@code PRINCIPAL_ROLE:ALL}),
 * and through them every catalog role those principal roles hold ({@code CATALOG_ROLE_USAGE}).
 * An operation needs some privileges on its target (and, for revokes and renames, on a
 * secondary securable); a need is met when any grant on the securable's path (root container,
 * catalog, each namespace level, the table or view) held by an activated role is the needed
 * privilege or one that satisfies it ({@link Privileges}). A missing privilege is 403
 * {@code ForbiddenException} with Polaris's message.
 */
final class Authorizer {
  private Authorizer() {}

  /** Principal-role and catalog-role keys active for this caller now. */
  static Set<String> activated(Caller caller) {
    Store s = caller.store();
    Set<String> roles = new LinkedHashSet<>();
    for (String r : s.rolesAssignedTo(caller.principal())) {
      if (caller.requestedRoles() == null || caller.requestedRoles().contains(r)) {
        roles.add(Securable.principalRole(r));
      }
    }
    Set<String> out = new LinkedHashSet<>(roles);
    for (Store.Grant g : s.grants) {
      if (g.privilege().equals("CATALOG_ROLE_USAGE") && roles.contains(g.grantee())) {
        out.add(g.securable());
      }
    }
    return out;
  }

  /** True when an activated role holds {@code needed} (or a privilege satisfying it) on the path. */
  static boolean holds(Caller caller, Set<String> active, String needed, List<String> path) {
    for (Store.Grant g : caller.store().grants) {
      if (active.contains(g.grantee())
          && path.contains(g.securable())
          && Privileges.satisfies(needed, g.privilege())) {
        return true;
      }
    }
    return false;
  }

  /** Throws 403 unless every {@code needed} privilege is held on {@code target}'s path. */
  static void require(Caller caller, String op, List<String> target, String... needed) {
    require(caller, op, target, List.of(needed), null, List.of());
  }

  /**
   * Throws 403 unless every privilege in {@code onTarget} is held on {@code target}'s path and
   * every one in {@code onSecondary} on {@code secondary}'s path.
   */
  static void require(
      Caller caller,
      String op,
      List<String> target,
      List<String> onTarget,
      List<String> secondary,
      List<String> onSecondary) {
    Set<String> active;
    boolean ok;
    // The catalog API authorizes outside the management lock: read the grants under it.
    synchronized (caller.store()) {
      active = activated(caller);
      ok = onTarget.stream().allMatch(p -> holds(caller, active, p, target));
      if (ok && secondary != null) {
        ok = onSecondary.stream().allMatch(p -> holds(caller, active, p, secondary));
      }
    }
    if (!ok) {
      Set<String> principalRoles = new TreeSet<>();
      Set<String> names = new TreeSet<>();
      for (String key : active) {
        String[] parts = Securable.parts(key);
        names.add(parts[parts.length - 1]);
        if (Securable.kind(key).equals("principal-role")) {
          principalRoles.add(parts[0]);
        }
      }
      throw ApiException.forbidden(
          "Principal '%s' with activated PrincipalRoles '%s' and activated grants via '%s' is not"
              + " authorized for op %s",
          caller.principal(), principalRoles, names, op);
    }
  }
}
