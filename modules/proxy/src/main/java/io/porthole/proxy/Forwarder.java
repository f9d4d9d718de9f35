package io.porthole.proxy;

import io.porthole.common.ErrorCode;
import io.porthole.common.Meters;
import io.porthole.common.PortholeException;
import io.porthole.tunnel.carry.CarryException;
import io.porthole.tunnel.carry.HttpOverTunnel;
import io.porthole.tunnel.carry.StreamTarget;
import io.porthole.tunnel.carry.WsOverTunnel;
import io.porthole.tunnel.mux.MuxStream;
import io.porthole.tunnel.mux.TunnelClosedException;
import io.porthole.tunnel.server.TunnelRouter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries a request to its exposure: resolve (registry), check access, find the node holding the
 * sandbox's tunnel, then either carry it here over a tunnel stream or hand it to that node. Bodies
 * stream both ways with back-pressure and are never buffered whole.
 */
final class Forwarder {

  private static final Logger log = LoggerFactory.getLogger(Forwarder.class);

  private final Vertx vertx;
  private final ProxyConfig cfg;
  private final TunnelRouter tunnels;
  private final Lookups lookups;
  private final Access access;
  private final InternalHop hop;
  private final Cors cors;

  private final BrowserTokens tokens;
  private final ProxyMetrics metrics;

  Forwarder(
      Vertx vertx,
      ProxyConfig cfg,
      TunnelRouter tunnels,
      Lookups lookups,
      InternalHop hop,
      BrowserTokens tokens) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.tunnels = tunnels;
    this.lookups = lookups;
    this.tokens = tokens;
    this.access = new Access(lookups, tokens);
    this.hop = hop;
    this.cors = new Cors(new FrontDoors(cfg.devSubdomain()), lookups);
    this.metrics = new ProxyMetrics(Meters.of(cfg.nodeId()));
  }

  static final String AUTH_PATH = "/__porthole/auth";

  /**
   * A browser following a sign-in link on the exposure's own host: a valid link token for this
   * exposure becomes a cookie for exactly this host (no Domain attribute), then a redirect to the
   * page asked for.
   */
  private void signIn(HttpServerRequest req, Target target) {
    String rid = requestId();
    req.resume();
    JsonObject link = tokens.verify("link", req.getParam("token"));
    lookups
        .exposure(target)
        .onFailure(err -> fail(req, err, rid, target))
        .onSuccess(
            e -> {
              if (link == null
                  || !link.getString("session_id", "").equals(e.getString("session_id"))
                  || !link.getInteger("port", -1).equals(e.getInteger("port"))) {
                Errors.respond(
                    req,
                    ErrorCode.UNAUTHORIZED,
                    "the sign-in link is invalid, expired or for another exposure",
                    rid);
                return;
              }
              String next = req.getParam("next");
              if (next == null || !next.startsWith("/") || next.startsWith("//")) {
                next = "/";
              }
              String cookie =
                  tokens.sign(
                      "cookie",
                      new JsonObject()
                          .put("session_id", e.getString("session_id"))
                          .put("port", e.getInteger("port"))
                          .put("owner", link.getString("owner")),
                      BrowserTokens.COOKIE_TTL);
              boolean https = "https".equals(cfg.clientOf(req).proto());
              req.response()
                  .setStatusCode(302)
                  .putHeader("location", next)
                  .putHeader("cache-control", "no-store")
                  .putHeader("x-request-id", rid)
                  .putHeader(
                      "set-cookie",
                      HeaderRules.AUTH_COOKIE
                          + "="
                          + cookie
                          + "; Path=/; HttpOnly; SameSite=Lax; Max-Age="
                          + BrowserTokens.COOKIE_TTL.toSeconds()
                          + (https ? "; Secure" : ""))
                  .end();
            });
  }

  static String requestId() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffffL);
  }

  /** A request from a front door of this node. */
  void handle(HttpServerRequest req, Target requested) {
    metrics.observe(req, requested.door().name().toLowerCase(java.util.Locale.ROOT));
    if (requested.door() == Target.Door.SUBDOMAIN && req.path().equals(AUTH_PATH)) {
      signIn(req, requested);
      return;
    }
    String rid = requestId();
    req.pause();
    Target withShare = requested;
    if (requested.door() == Target.Door.PATH && requested.share() == null) {
      String shared = Access.cookie(req, HeaderRules.SHARE_COOKIE);
      if (shared != null && shared.matches("[a-z0-9]{16,60}")) {
        withShare =
            new Target(
                requested.door(),
                requested.sessionId(),
                requested.port(),
                null,
                0,
                requested.prefix(),
                requested.uri(),
                shared);
      }
    }
    Target target = withShare;
    Target asked = target;
    HeaderRules.Client client = cfg.clientOf(req);
    log.debug("request {} {} {} via {}", rid, req.method(), req.uri(), target.door());
    lookups
        .exposure(target)
        .compose(
            e ->
                usable(e)
                    .compose(
                        v -> {
                          if (asked.share() != null) {
                            // a valid, unexpired, unrevoked share link grants access by itself, but
                            // only to the exposure it names
                            return asked.sessionId() == null
                                    || (asked.sessionId().equals(e.getString("session_id"))
                                        && asked.port() == e.getInteger("port"))
                                ? Future.<Void>succeededFuture()
                                : Future.<Void>failedFuture(
                                    new PortholeException(
                                        ErrorCode.NOT_FOUND,
                                        "the share link is for another exposure"));
                          }
                          return Cors.answersHere(req, e.getJsonObject("policy", new JsonObject()))
                              ? Future.<Void>succeededFuture()
                              : access.check(req, e);
                        })
                    .map(e))
        .compose(
            e -> {
              Target resolved = resolvedTarget(target, e);
              log.debug("request {} resolved to sandbox {}", rid, e.getString("sandbox_id"));
              return lookups
                  .route(e.getString("sandbox_id"))
                  .onSuccess(
                      route -> {
                        log.debug("request {} route {}", rid, route);
                        if (cfg.nodeId().equals(route.getString("node_id"))
                            || !route.containsKey("port")) {
                          carry(req, resolved, e, client, rid);
                        } else {
                          hop.forward(req, route, resolved, client, rid);
                        }
                      })
                  .mapEmpty();
            })
        .onFailure(err -> fail(req, err, rid, target));
  }

  /** A request handed over by another node that already checked access. */
  void handleInternal(HttpServerRequest req, Target target, HeaderRules.Client client, String rid) {
    metrics.observe(req, "internal");
    req.pause();
    lookups
        .exposure(target)
        .compose(e -> usable(e).map(e))
        .onSuccess(e -> carry(req, resolvedTarget(target, e), e, client, rid))
        .onFailure(err -> fail(req, err, rid, target));
  }

  private static Target resolvedTarget(Target t, JsonObject e) {
    return new Target(
        t.door(),
        e.getString("session_id"),
        e.getInteger("port"),
        t.name(),
        t.allocatedPort(),
        t.prefix(),
        t.uri(),
        t.share());
  }

  private static Future<Void> usable(JsonObject e) {
    String status = e.getString("session_status", "running");
    return switch (status) {
      case "running" -> Future.succeededFuture();
      case "pending", "starting" ->
          Future.failedFuture(
              new PortholeException(ErrorCode.UNAVAILABLE, "the session's container is starting"));
      case "sandbox_lost" ->
          Future.failedFuture(
              new PortholeException(
                  ErrorCode.UNAVAILABLE, "the session's sandbox is unreachable; it may come back"));
      default ->
          Future.failedFuture(
              new PortholeException(
                  ErrorCode.NOT_FOUND, "session " + e.getString("session_id") + " has ended"));
    };
  }

  private void carry(
      HttpServerRequest req, Target target, JsonObject e, HeaderRules.Client client, String rid) {
    JsonObject policy = e.getJsonObject("policy", new JsonObject());
    if (Cors.answersHere(req, policy)) {
      cors.answer(req, e, rid);
      return;
    }
    long maxBody = policy.getLong("max_body_bytes", 0L);
    String length = req.headers().get("content-length");
    if (maxBody > 0
        && length != null
        && length.matches("\\d{1,19}")
        && Long.parseLong(length) > maxBody) {
      Errors.respond(
          req,
          413,
          "payload_too_large",
          "the body exceeds this exposure's limit of " + maxBody + " bytes",
          rid);
      return;
    }
    String sandbox = e.getString("sandbox_id");
    String hostMode = policy.getString("host_header", "preserve");
    if (req.headers().contains("upgrade", "websocket", true)) {
      carryWebSocket(req, target, sandbox, client, hostMode, rid);
      return;
    }
    boolean hasBody =
        req.headers().contains("transfer-encoding")
            || (length != null && !"0".equals(length.trim()));
    MultiMap headers = HeaderRules.toContainer(req.headers(), client, target, hostMode, hasBody);
    long headerTimeout =
        policy.getLong("response_header_timeout_ms", cfg.responseHeaderTimeoutMs());
    tunnels
        .open(
            sandbox,
            StreamTarget.http(
                    target.sessionId(), target.port(), req.method().name(), target.uri(), headers)
                .encode())
        .compose(
            stream -> {
              log.debug("request {} on stream {}", rid, stream.id());
              req.response().closeHandler(v -> stream.reset());
              if (req.response().closed()) {
                // the client left while the stream was opening
                stream.reset();
              }
              watchIdle(req, stream, policy.getLong("idle_timeout_ms", 0L), rid);
              if (!hasBody) {
                req.resume();
              }
              return timed(
                  HttpOverTunnel.exchange(stream, hasBody ? req : null),
                  stream,
                  headerTimeout,
                  target);
            })
        .onSuccess(r -> respond(req, r, target, vertx.getOrCreateContext()))
        .onFailure(err -> fail(req, err, rid, target));
  }

  /**
   * The exposure's idle timeout: when no byte crossed the stream, either way, for {@code idleMs},
   * the exchange is cut (the stream reset, the client's connection closed). 0 means never.
   */
  private void watchIdle(HttpServerRequest req, MuxStream stream, long idleMs, String rid) {
    if (idleMs <= 0) {
      return;
    }
    long[] seen = {-1};
    long timer =
        vertx.setPeriodic(
            idleMs,
            id -> {
              long now = stream.bytesReceived() + stream.bytesSent();
              if (now == seen[0]) {
                vertx.cancelTimer(id);
                log.info("request {} idle for {} ms: cut", rid, idleMs);
                stream.reset();
                req.connection().close();
              }
              seen[0] = now;
            });
    req.response().endHandler(v -> vertx.cancelTimer(timer));
    req.response()
        .closeHandler(
            v -> {
              vertx.cancelTimer(timer);
              stream.reset();
            });
  }

  private Future<HttpOverTunnel.Response> timed(
      Future<HttpOverTunnel.Response> response, MuxStream stream, long timeoutMs, Target target) {
    if (timeoutMs <= 0) {
      return response;
    }
    Promise<HttpOverTunnel.Response> p = Promise.promise();
    long timer =
        vertx.setTimer(
            timeoutMs,
            t -> {
              if (p.tryFail(
                  new PortholeException(
                      ErrorCode.TIMEOUT,
                      "the app on port "
                          + target.port()
                          + " did not answer within "
                          + timeoutMs / 1000.0
                          + " s"))) {
                stream.reset();
              }
            });
    response.onComplete(
        ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            p.tryComplete(ar.result());
          } else {
            p.tryFail(ar.cause());
          }
        });
    return p.future();
  }

  /** Streams the response; {@code streamContext} is the tunnel's, where its body is read. */
  private static void respond(
      HttpServerRequest req, HttpOverTunnel.Response r, Target target, Context streamContext) {
    HttpServerResponse resp = req.response();
    resp.setStatusCode(r.status());
    if (r.statusMessage() != null && !r.statusMessage().isEmpty()) {
      resp.setStatusMessage(r.statusMessage());
    }
    MultiMap headers = HeaderRules.toClient(r.headers(), target);
    resp.headers().addAll(headers);
    if (target.door() == Target.Door.PATH && target.share() != null) {
      // the page's own assets under the prefix carry the share link with them
      resp.headers()
          .add(
              "set-cookie",
              HeaderRules.SHARE_COOKIE
                  + "="
                  + target.share()
                  + "; Path="
                  + target.prefix()
                  + "/; HttpOnly; SameSite=Lax");
    }
    boolean bodiless =
        req.method() == HttpMethod.HEAD
            || r.status() == 204
            || r.status() == 304
            || r.status() < 200;
    if (!bodiless && !headers.contains("content-length")) {
      resp.setChunked(true);
    }
    r.body()
        .pipe()
        .endOnSuccess(false)
        .to(new DrainOnContext(resp, streamContext))
        .compose(v -> r.trailers())
        .onSuccess(
            trailers -> {
              if (!trailers.isEmpty() && resp.isChunked()) {
                resp.trailers().addAll(trailers);
              }
              resp.end();
            })
        .onFailure(err -> resp.reset());
  }

  private void carryWebSocket(
      HttpServerRequest req,
      Target target,
      String sandbox,
      HeaderRules.Client client,
      String hostMode,
      String rid) {
    MultiMap headers = HeaderRules.toContainer(req.headers(), client, target, hostMode, false);
    String protocols = req.headers().get("sec-websocket-protocol");
    if (protocols != null) {
      headers.set("sec-websocket-protocol", protocols);
    }
    // the request's context: the tunnel's futures complete on the tunnel server's
    Context requestContext = vertx.getOrCreateContext();
    tunnels
        .open(
            sandbox,
            StreamTarget.ws(target.sessionId(), target.port(), target.uri(), headers).encode())
        .compose(
            stream -> {
              // a client that leaves while the app answers the handshake (or another node's hop
              // connection closing) cancels the stream: the sandbox then closes its connection to
              // the app
              req.response().closeHandler(v -> stream.reset());
              if (req.response().closed()) {
                stream.reset();
              }
              return WsOverTunnel.awaitVerdict(stream)
                  .onSuccess(
                      accepted -> {
                        Context streamContext = vertx.getOrCreateContext();
                        requestContext.runOnContext(
                            v -> upgrade(req, accepted, stream, streamContext));
                      });
            })
        .onFailure(
            err -> {
              if (req.response().closed()) {
                log.debug("WebSocket {}: the client left before the upgrade", rid);
              } else {
                fail(req, err, rid, target);
              }
            });
  }

  /**
   * Completes the client's upgrade on the request's own event loop and pauses the WebSocket there
   * before any frame is read (from another thread, frames sent right after the handshake were
   * lost), then bridges on the stream's context, where the stream's reader lives.
   */
  private static void upgrade(
      HttpServerRequest req,
      WsOverTunnel.Accepted accepted,
      MuxStream stream,
      Context streamContext) {
    // from here the bridge carries a close either way
    req.response().closeHandler(null);
    if (req.response().closed()) {
      stream.reset();
      return;
    }
    req.toWebSocket()
        .onSuccess(
            ws -> {
              ws.pause();
              streamContext.runOnContext(
                  v -> {
                    WsOverTunnel.bridge(ws, accepted.reader(), stream);
                    ws.resume();
                  });
            })
        .onFailure(err -> stream.reset());
  }

  void fail(HttpServerRequest req, Throwable err, String rid, Target target) {
    if (req.response().closed()) {
      // the client went away first (its stream was cancelled): nobody to answer, nothing broke
      log.debug("request {} ended without a client: {}", rid, err.getMessage());
      return;
    }
    int status;
    String code;
    String message;
    if (err instanceof CarryException ce) {
      status = ce.status();
      code = ce.code();
      message = ce.getMessage();
    } else if (err instanceof TunnelClosedException) {
      status = 502;
      code = "bad_gateway";
      message = "the tunnel to the session's sandbox closed during the request";
    } else {
      ErrorCode ec = ErrorCode.of(err);
      status = ec.httpStatus();
      code = ec.wireName();
      message = ec == ErrorCode.INTERNAL ? "internal error" : err.getMessage();
      if (ec == ErrorCode.UNAVAILABLE) {
        log.info("request {} to {} {}: {}", rid, target.sessionId(), target.port(), message);
        Errors.respond(req, status, code, message, rid, 2);
        return;
      }
    }
    if (status >= 500) {
      log.warn(
          "request {} to session {} port {} failed: {} {}",
          rid,
          target.sessionId(),
          target.port(),
          status,
          message);
    } else {
      log.debug("request {} refused: {} {}", rid, status, message);
    }
    Errors.respond(req, status, code, message, rid);
  }
}
