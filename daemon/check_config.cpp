#include "daemon/check_config.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "adapters/mysql/mysql_ids.hpp"
#include "config/config_loader.hpp"
#include "config/rules_review.hpp"
#include "daemon/daemon.hpp"

namespace so::daemon {
namespace {

// Of the ids `named`, those the database has: one query per table.
Result<config::IdSets> ReadExistingIds(mysql::IdReader& reader, const config::IdSets& named) {
  config::IdSets existing;
  for (const auto& [table, asked, found] :
       {std::tuple(mysql::IdTable::kStores, &named.stores, &existing.stores),
        std::tuple(mysql::IdTable::kVendors, &named.vendors, &existing.vendors),
        std::tuple(mysql::IdTable::kProducts, &named.products, &existing.products),
        std::tuple(mysql::IdTable::kCustomers, &named.customers, &existing.customers)}) {
    auto ids = reader.Existing(table, std::vector<Id>(asked->begin(), asked->end()));
    if (!ids.ok()) return ids.error();
    found->insert(ids->begin(), ids->end());
  }
  return existing;
}

void Print(std::ostream& err, const std::vector<config::Problem>& problems) {
  for (const config::Problem& p : problems) err << p.ToString() << "\n";
}

}  // namespace

int RunCheckConfig(const std::string& path, const CheckConfigOptions& options, std::ostream& out,
                   std::ostream& err) {
  auto loaded = config::LoadDaemonConfig(path);
  Print(err, loaded.problems);
  if (!loaded.ok()) {
    err << path << ": " << loaded.problems.size() << " problem(s)\n";
    return kCheckConfigInvalid;
  }
  const config::DaemonConfig& cfg = *loaded.value;
  // The rules once more, with where each thing is written, which the daemon's config does not
  // keep. The same version says it is the same text that was just validated.
  auto outlined = config::LoadRulesFileOutlined(cfg.rules_file);
  if (!outlined.ok() || outlined.value->rules.version() != cfg.rules.version()) {
    Print(err, outlined.problems);
    err << cfg.rules_file << ": changed while it was being checked; check it again\n";
    return kCheckConfigInvalid;
  }
  const config::RulesOutline& outline = outlined.value->outline;

  std::vector<config::Problem> warnings = config::FindShadowedRules(outlined.value->rules, outline);
  if (options.against_database) {
    const auto database_error = [&](std::string_view what, const Error& e) {
      Print(err, warnings);
      err << "special-ordersd --check-config: " << what << " database '" << cfg.database.name
          << "': " << e.ToString() << "\n";
      return kCheckConfigDatabase;
    };
    // Even when the rules name no id: the option asks whether the database can be read.
    mysql::IdReader reader(ToMysqlOptions(cfg.database));
    if (Status s = reader.Connect(); !s.ok()) {
      return database_error("cannot check the rules' ids: cannot reach", s.error());
    }
    auto existing = ReadExistingIds(reader, config::NamedIds(outline));
    if (!existing.ok()) {
      return database_error("cannot read the rules' ids from", existing.error());
    }
    std::vector<config::Problem> missing = config::FindMissingIds(outline, *existing);
    warnings.insert(warnings.end(), std::make_move_iterator(missing.begin()),
                    std::make_move_iterator(missing.end()));
  }
  std::stable_sort(warnings.begin(), warnings.end(),
                   [](const config::Problem& a, const config::Problem& b) {
                     return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                   });
  Print(err, warnings);

  out << path << ": OK (rules " << cfg.rules_file << ", " << cfg.rules.rules().size()
      << " rule(s), " << cfg.rules.version();
  if (options.against_database) {
    out << "; ids checked against database '" << cfg.database.name << "'";
  }
  out << ")";
  if (!warnings.empty()) out << ", " << warnings.size() << " warning(s)";
  out << "\n";
  return kCheckConfigValid;
}

}  // namespace so::daemon
