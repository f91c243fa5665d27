/**
 * The products of the mock cloud: each is `(app, ctx) => void`, called once at start in this order.
 * Add a product by importing its registration function and listing it below.
 */
import type { FastifyInstance } from "fastify";
import type { CloudContext } from "../context.js";
import { registerSuperSim } from "./supersim/index.js";
// ---- other products: add imports here (helper "cloud-products") ----
import { registerWireless } from "./wireless/index.js";
import { registerApi2010 } from "./api2010/index.js";
import { registerHuawei } from "./huawei/index.js";
// ---- end of other products' imports ----

export type ProductRegistration = (app: FastifyInstance, ctx: CloudContext) => void;

export const PRODUCTS: ProductRegistration[] = [
  registerSuperSim,
  // ---- other products: add entries here ----
  registerWireless,
  registerApi2010,
  registerHuawei,
  // ---- end of other products' entries ----
];
