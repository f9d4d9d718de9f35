package io.porthole.tunnel.carry;

import static org.assertj.core.api.Assertions.assertThat;

import io.porthole.tunnel.mux.MuxStream;
import io.porthole.tunnel.mux.StreamResetException;
import io.porthole.tunnel.support.TunnelFixture;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class RecordReaderTest {

  @Test
  @Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
  @DisplayName(
      "A stream reset before its reader had an exception handler still reaches that handler"
          + " (the sandbox then closes the app's WebSocket)")
  void lateExceptionHandler(Vertx vertx, VertxTestContext ctx) {
    Promise<MuxStream> accepted = Promise.promise();
    Context[] streamContext = new Context[1];
    new TunnelFixture(vertx)
        .start()
        .compose(
            f ->
                f.connect(
                    stream -> {
                      // as the sandbox does while it connects to the app: nothing reads yet
                      stream.pause();
                      streamContext[0] = Vertx.currentContext();
                      accepted.tryComplete(stream);
                    }))
        .compose(t -> t.opener().open(Buffer.buffer("ws")))
        .compose(opened -> accepted.future().compose(s -> opened.reset()))
        // the RESET crosses loopback in well under this
        .compose(v -> vertx.timer(500))
        .onComplete(
            ctx.succeeding(
                v ->
                    streamContext[0].runOnContext(
                        x -> {
                          RecordReader reader = new RecordReader(accepted.future().result());
                          reader.exceptionHandler(
                              err ->
                                  ctx.verify(
                                      () -> {
                                        assertThat(err).isInstanceOf(StreamResetException.class);
                                        ctx.completeNow();
                                      }));
                        })));
  }
}
