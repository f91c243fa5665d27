import { modemContract, virtualModem } from "./modem.contract.js";

modemContract("bg96", virtualModem);
