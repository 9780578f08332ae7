import { afterEach, describe, expect, it } from "vitest";
import { CORE_ERROR_HANDLERS } from "./core-error-handlers.ts";
import { registerError } from "./error-registry.ts";
import { ErrandError, NonRetryableError, ValidationError } from "./errors.ts";
import { deserializeError, serializeError } from "./serialized-error.ts";

/** What a structured clone or a JSON round trip does to plain data. */
const cross = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

class PaymentDeclined extends Error {
  override name = "PaymentDeclined";
  constructor(readonly reason: string) {
    super(`Payment declined: ${reason}`);
  }
}

const paymentDeclined = {
  name: "PaymentDeclined",
  canHandle: (value: unknown): value is PaymentDeclined => value instanceof PaymentDeclined,
  serialize: (error: PaymentDeclined) => ({
    message: error.message,
    code: "payment_declined",
    retryable: false,
    details: { reason: error.reason },
  }),
  deserialize: (data: { details?: Record<string, unknown> }) =>
    new PaymentDeclined(String(data.details?.reason)),
};

const unregister: (() => void)[] = [];
afterEach(() => {
  for (const remove of unregister.splice(0)) remove();
});

describe("the error registry", () => {
  describe("when an app registers its own class", () => {
    it("rebuilds it as that class, with its fields, code, retryability and stack", () => {
      unregister.push(registerError(paymentDeclined));
      const thrown = new PaymentDeclined("card expired");
      const rebuilt = deserializeError(cross(serializeError(thrown)));
      expect(rebuilt).toBeInstanceOf(PaymentDeclined);
      expect(rebuilt).toMatchObject({
        name: "PaymentDeclined",
        message: "Payment declined: card expired",
        reason: "card expired",
        code: "payment_declined",
        retryable: false,
      });
      expect(rebuilt.stack).toBe(thrown.stack);
    });

    it("takes code and retryability from the error itself when serialize leaves them out", () => {
      class Coded extends Error {
        override name = "Coded";
        readonly code = "out_of_stock";
        readonly retryable = false;
      }
      unregister.push(
        registerError({
          name: "Coded",
          canHandle: (value): value is Coded => value instanceof Coded,
          serialize: (error) => ({ message: error.message }),
          deserialize: (data) => new Coded(data.message),
        }),
      );
      expect(serializeError(new Coded("none left"))).toMatchObject({
        name: "Coded",
        code: "out_of_stock",
        retryable: false,
      });
    });

    it("asks the newest handler first, so a subclass's handler wins over its parent's", () => {
      class SoftDecline extends PaymentDeclined {
        override name = "SoftDecline";
      }
      unregister.push(registerError(paymentDeclined));
      unregister.push(
        registerError({
          name: "SoftDecline",
          canHandle: (value): value is SoftDecline => value instanceof SoftDecline,
          serialize: (error) => ({ message: error.message, details: { reason: error.reason } }),
          deserialize: (data) => new SoftDecline(String(data.details?.reason)),
        }),
      );
      expect(deserializeError(serializeError(new SoftDecline("try again")))).toBeInstanceOf(SoftDecline);
    });

    it("replaces the handler of a name registered again", () => {
      unregister.push(registerError(paymentDeclined));
      unregister.push(
        registerError({ ...paymentDeclined, deserialize: () => new PaymentDeclined("replaced") }),
      );
      expect(deserializeError(serializeError(new PaymentDeclined("first")))).toMatchObject({
        reason: "replaced",
      });
    });

    it("forgets the class once unregistered: it arrives as an ErrandError keeping its name", () => {
      registerError(paymentDeclined)();
      const rebuilt = deserializeError(serializeError(new PaymentDeclined("gone")));
      expect(rebuilt).not.toBeInstanceOf(PaymentDeclined);
      expect(rebuilt).toBeInstanceOf(ErrandError);
      expect(rebuilt.name).toBe("PaymentDeclined");
    });
  });

  describe("when the other side has no handler of the name", () => {
    it("gives the error it makes the code and retryability the data carried", () => {
      const rebuilt = deserializeError({ name: "TypeError", message: "x", code: "bad", retryable: false });
      expect(rebuilt).toMatchObject({ name: "TypeError", code: "bad", retryable: false });
    });
  });

  describe("core's own classes", () => {
    it("are registered through the same interface, one handler per class", () => {
      const names = CORE_ERROR_HANDLERS.map((handler) => handler.name);
      expect(new Set(names).size).toBe(names.length);
      for (const handler of CORE_ERROR_HANDLERS) {
        expect(typeof handler.canHandle).toBe("function");
        expect(typeof handler.serialize).toBe("function");
        expect(typeof handler.deserialize).toBe("function");
      }
    });

    it("give way to an app's handler of the same name", () => {
      class AppValidation extends Error {
        override name = "ValidationError";
      }
      unregister.push(
        registerError({
          name: "ValidationError",
          canHandle: (value): value is AppValidation => value instanceof AppValidation,
          serialize: (error) => ({ message: error.message }),
          deserialize: (data) => new AppValidation(data.message),
        }),
      );
      expect(deserializeError(serializeError(new AppValidation("mine")))).toBeInstanceOf(AppValidation);
      // The app's replaced core's: registering core's again brings it back.
      unregister.pop()?.();
      registerError(CORE_ERROR_HANDLERS.find((one) => one.name === "ValidationError") as never);
      const core = deserializeError(
        serializeError(new ValidationError("bad", [{ path: "a", message: "b" }])),
      );
      expect(core).toBeInstanceOf(ValidationError);
      expect((core as ValidationError).issues).toEqual([{ path: "a", message: "b" }]);
    });

    it("still serialize an Errand error of a name no handler knows with its own name", () => {
      class Unregistered extends NonRetryableError {
        override name = "Unregistered";
      }
      expect(serializeError(new Unregistered("x", { code: "nope" }))).toMatchObject({
        name: "Unregistered",
        code: "nope",
        retryable: false,
      });
    });
  });
});
