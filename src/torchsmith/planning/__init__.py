"""The planner's parts: wheel tags for a machine, feasibility rules, candidate search and commands.

`torchsmith.planning.plan.make_plan` is the public entry point; these modules each own one step of it.
"""
