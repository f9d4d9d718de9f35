package io.porthole.proxy;

import io.porthole.common.ErrorCode;
import io.porthole.common.FrontDoor;
import io.porthole.common.PortholeException;
import io.vertx.core.http.HttpServerRequest;

/**
 * The path and subdomain front doors on the API's HTTP server. Created by the node before the
 * verticles, bound by {@link ProxyVerticle} when it starts; until then it answers 503.
 */
public final class ProxyFrontDoor implements FrontDoor {

  private volatile FrontDoors doors = new FrontDoors("");
  private volatile Forwarder forwarder;

  void bind(FrontDoors doors, Forwarder forwarder) {
    this.doors = doors;
    this.forwarder = forwarder;
  }

  @Override
  public boolean claims(HttpServerRequest req) {
    FrontDoors d = doors;
    return d.subdomainLabel(
                req.authority() == null ? req.getHeader("host") : req.authority().host())
            != null
        || d.isPathForm(req.path());
  }

  @Override
  public void handle(HttpServerRequest req) {
    Forwarder f = forwarder;
    String rid = Forwarder.requestId();
    if (f == null) {
      Errors.respond(req, ErrorCode.UNAVAILABLE, "the proxy is starting", rid);
      return;
    }
    Target target;
    try {
      FrontDoors d = doors;
      String host = req.authority() == null ? req.getHeader("host") : req.authority().host();
      String label = d.subdomainLabel(host);
      target = label != null ? d.fromSubdomain(label, req.uri()) : d.fromPath(req.uri());
      if (label == null && FrontDoors.isBarePrefix(req.uri())) {
        // the app's relative links resolve against the URL: without the slash they would
        // leave the prefix (".../proxy/app.js")
        int q = req.uri().indexOf('?');
        req.response()
            .setStatusCode(308)
            .putHeader("location", target.prefix() + "/" + (q >= 0 ? req.uri().substring(q) : ""))
            .putHeader("x-request-id", rid)
            .end();
        return;
      }
    } catch (PortholeException e) {
      Errors.respond(req, e.code(), e.getMessage(), rid);
      return;
    }
    f.handle(req, target);
  }
}
