#include "daemon/cli.hpp"

int main(int argc, char** argv) { return so::daemon::Main(argc, argv); }
