"""The organisation: city centre, departments, county workstations, township stations, staff, hours, closures."""
