package io.porthole.proxy;

import io.vertx.core.json.JsonObject;

/**
 * What a front door names: an exposure (by session and port, by session and name, or by allocated
 * port), the path to send to the container, and how the request came in.
 *
 * @param door which front door
 * @param sessionId the session, or null for port mode
 * @param port the container port, or 0 when named otherwise
 * @param name the exposure's name, or null
 * @param allocatedPort the allocated port (port mode), or 0
 * @param prefix the path prefix the path form strips ("" otherwise)
 * @param uri what the container gets: path and query
 * @param share a share link's token (the link grants access by itself), or null
 */
public record Target(
    Door door,
    String sessionId,
    int port,
    String name,
    int allocatedPort,
    String prefix,
    String uri,
    String share) {

  public Target(
      Door door,
      String sessionId,
      int port,
      String name,
      int allocatedPort,
      String prefix,
      String uri) {
    this(door, sessionId, port, name, allocatedPort, prefix, uri, null);
  }

  /** The ways in. */
  public enum Door {
    PATH,
    SUBDOMAIN,
    PORT,
    INTERNAL
  }

  /** The registry request that resolves this target. */
  JsonObject resolveRequest() {
    if (share != null) {
      return new JsonObject().put("share_token", share);
    }
    if (allocatedPort > 0) {
      return new JsonObject().put("allocated_port", allocatedPort);
    }
    if (name != null) {
      return new JsonObject().put("session_id", sessionId).put("name", name);
    }
    return new JsonObject().put("session_id", sessionId).put("port", port);
  }

  String cacheKey() {
    if (share != null) {
      return "s:" + share;
    }
    return allocatedPort > 0
        ? "a:" + allocatedPort
        : name != null ? "n:" + sessionId + ":" + name : "p:" + sessionId + ":" + port;
  }

  Target withUri(String newUri) {
    return new Target(door, sessionId, port, name, allocatedPort, prefix, newUri, share);
  }
}
