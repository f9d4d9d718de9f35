package io.porthole.tunnel.carry;

import io.porthole.tunnel.mux.StreamResetException;
import io.porthole.tunnel.protocol.ErrorCode;
import io.vertx.core.json.JsonObject;

/**
 * The sandbox could not carry an exchange to the container (FAIL record), or the stream broke: an
 * HTTP status for the edge, a snake_case code and a message for the user.
 */
public class CarryException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;

  public CarryException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  JsonObject toJson() {
    return new JsonObject().put("status", status).put("code", code).put("message", getMessage());
  }

  /**
   * What a broken tunnel stream means for the request on it: 503 when the sandbox refused the
   * stream (its tunnel carries its most streams at once), 502 otherwise.
   */
  static CarryException broken(Throwable err) {
    if (err instanceof CarryException ce) {
      return ce;
    }
    if (err instanceof StreamResetException reset
        && reset.code() == ErrorCode.REFUSED_STREAM.code()) {
      return new CarryException(
          503, "unavailable", "the sandbox refused the tunnel stream: " + err.getMessage());
    }
    return new CarryException(502, "bad_gateway", "the tunnel stream broke: " + err.getMessage());
  }

  static CarryException fromJson(JsonObject json) {
    return new CarryException(
        json.getInteger("status", 502),
        json.getString("code", "bad_gateway"),
        json.getString("message", "the sandbox could not reach the container"));
  }
}
