package io.porthole.tunnel.server;

import io.porthole.tunnel.carry.HttpOverTunnel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;

final class HttpOverTunnelTestSupport {

  private HttpOverTunnelTestSupport() {}

  static Future<Long> length(HttpOverTunnel.Response r) {
    Promise<Long> p = Promise.promise();
    long[] n = {0};
    r.body().handler(b -> n[0] += b.length());
    r.body().endHandler(v -> p.complete(n[0]));
    r.body().exceptionHandler(p::fail);
    r.body().resume();
    return p.future();
  }

  static Future<String> text(HttpOverTunnel.Response r) {
    Promise<String> p = Promise.promise();
    Buffer all = Buffer.buffer();
    r.body().handler(all::appendBuffer);
    r.body().endHandler(v -> p.complete(all.toString()));
    r.body().exceptionHandler(p::fail);
    r.body().resume();
    return p.future();
  }
}
