import { runModemSuite } from "./modem-suite.js";

runModemSuite("sara-r4");
