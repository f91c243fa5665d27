import { runModemSuite } from "./modem-suite.js";

runModemSuite("bg96");
