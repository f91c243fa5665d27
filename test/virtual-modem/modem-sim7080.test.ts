import { runModemSuite } from "./modem-suite.js";

runModemSuite("sim7080");
